package org.opencmg.distribution;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The heap a JVM still uses after a full collection: this one through its MemoryMXBean, a product
 * process (gateway, connection point) through {@code jcmd PID GC.run} and {@code GC.heap_info} of
 * the JDK that runs the tests.
 */
final class JvmHeap {

    private static final Pattern USED = Pattern.compile("heap\\s+total[^\\n]*?used (\\d+)K");

    private JvmHeap() {}

    /** Bytes of heap used in this JVM after System.gc(). */
    static long usedAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        memory.gc();
        memory.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Bytes of heap used in the process after a full collection it was told to run. */
    static long usedAfterGc(ProcessHandle process) throws IOException, InterruptedException {
        jcmd(process, "GC.run");
        jcmd(process, "GC.run");
        String info = jcmd(process, "GC.heap_info");
        var m = USED.matcher(info);
        if (!m.find()) {
            throw new AssertionError("no heap use in jcmd GC.heap_info of " + process.pid() + ":\n" + info);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    private static String jcmd(ProcessHandle process, String command) throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        var p = new ProcessBuilder(jcmd, String.valueOf(process.pid()), command)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("jcmd " + process.pid() + " " + command + " failed:\n" + out);
        }
        return out;
    }
}
