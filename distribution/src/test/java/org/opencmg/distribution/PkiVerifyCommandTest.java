package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.cli.CmgCommand;
import org.opencmg.pki.PemFiles;

/** `cmg pki verify`: the gateway's own validator as a troubleshooting command, with stable exit codes. */
class PkiVerifyCommandTest {

    @TempDir
    Path dir;

    TestPki pki;
    String out;

    @BeforeEach
    void pki() throws Exception {
        pki = new TestPki(dir);
    }

    int verify(String... args) {
        var sw = new StringWriter();
        var pw = new PrintWriter(sw, true);
        String[] all = new String[args.length + 2];
        all[0] = "pki";
        all[1] = "verify";
        System.arraycopy(args, 0, all, 2, args.length);
        int code = CmgCommand.commandLine().setOut(pw).setErr(pw).execute(all);
        out = sw.toString();
        return code;
    }

    Path write(String name, org.opencmg.pki.IssuedCertificate c) throws Exception {
        Path p = dir.resolve(name);
        PemFiles.writeCertificates(p, List.of(c.certificate()));
        return p;
    }

    @Test
    void aValidClientCertificateExitsZero() throws Exception {
        Path leaf = write("leaf.pem", pki.device("ok"));
        assertThat(verify(
                        "--roots",
                        pki.file("root.pem").toString(),
                        "--intermediates",
                        pki.file("intermediate.pem").toString(),
                        leaf.toString()))
                .isEqualTo(0);
        assertThat(out).startsWith("valid");
    }

    @Test
    void aRefusalExitsOneWithTheReasonCodeOnTheFirstLine() throws Exception {
        Path leaf = write("leaf.pem", pki.device("ok"));
        assertThat(verify("--roots", pki.file("root.pem").toString(), leaf.toString()))
                .isEqualTo(1);
        assertThat(out.lines().findFirst()).hasValue("incomplete_chain");

        Path expired = write("expired.pem", pki.expiredDevice());
        assertThat(verify(
                        "--roots",
                        pki.file("root.pem").toString(),
                        "--intermediates",
                        pki.file("intermediate.pem").toString(),
                        expired.toString()))
                .isEqualTo(1);
        assertThat(out.lines().findFirst()).hasValue("expired");
    }

    @Test
    void theAtOptionValidatesAsOfAnotherTime() throws Exception {
        Path leaf = write("leaf.pem", pki.device("ok"));
        assertThat(verify(
                        "--roots",
                        pki.file("root.pem").toString(),
                        "--intermediates",
                        pki.file("intermediate.pem").toString(),
                        "--at",
                        "2001-01-01T00:00:00Z",
                        leaf.toString()))
                .isEqualTo(1);
        assertThat(out.lines().findFirst()).hasValue("not_yet_valid");
    }

    @Test
    void ekuChoiceAndRevocation() throws Exception {
        Path server = write("server-leaf.pem", pki.server);
        assertThat(verify("--roots", pki.file("root.pem").toString(), server.toString()))
                .isEqualTo(1);
        assertThat(out.lines().findFirst()).hasValue("wrong_eku");
        assertThat(verify("--roots", pki.file("root.pem").toString(), "--eku", "server", server.toString()))
                .isEqualTo(0);

        var revoked = pki.device("revoked");
        pki.writeCrls(revoked.certificate());
        Path leaf = write("revoked.pem", revoked);
        String[] base = {
            "--roots",
            pki.file("root.pem").toString(),
            "--intermediates",
            pki.file("intermediate.pem").toString()
        };
        assertThat(verify(concat(
                        base,
                        "--check-revocation",
                        "--crl",
                        pki.file("root.crl").toString(),
                        "--crl",
                        pki.file("issuing.crl").toString(),
                        leaf.toString())))
                .isEqualTo(1);
        assertThat(out.lines().findFirst()).hasValue("revoked");
        assertThat(out).contains("path built before the refusal:", "[0] CN=revoked", "from uploaded");
        assertThat(verify(concat(base, "--check-revocation", leaf.toString()))).isEqualTo(1);
        assertThat(out.lines().findFirst()).hasValue("revocation_unknown");
        assertThat(verify(concat(base, leaf.toString()))).isEqualTo(0);
    }

    @Test
    void printsThePathEachCrlItUsedAndSoftModeWarnings() throws Exception {
        var device = pki.device("listed");
        pki.writeCrls();
        Path leaf = write("listed.pem", device);
        String[] base = {
            "--roots",
            pki.file("root.pem").toString(),
            "--intermediates",
            pki.file("intermediate.pem").toString()
        };
        assertThat(verify(concat(
                        base,
                        "--check-revocation",
                        "--crl",
                        pki.file("root.crl").toString(),
                        "--crl",
                        pki.file("issuing.crl").toString(),
                        leaf.toString())))
                .isEqualTo(0);
        assertThat(out).contains("[0] CN=listed", "[1] ", "[anchor] ", "checked (hard mode)");
        assertThat(out.lines().filter(l -> l.strip().startsWith("crl ")))
                .hasSize(2)
                .allMatch(l -> l.contains("number ")
                        && l.contains("thisUpdate ")
                        && l.contains("nextUpdate ")
                        && l.contains("from uploaded"));

        assertThat(verify(concat(base, "--check-revocation", "--revocation-mode", "soft", leaf.toString())))
                .isEqualTo(0);
        assertThat(out).contains("checked (soft mode)", "warning: revocation of ");
        assertThat(verify(concat(base, "--check-revocation", "--revocation-mode", "lenient", leaf.toString())))
                .isEqualTo(2);
        assertThat(verify(concat(base, "--max-chain-depth", "1", leaf.toString())))
                .isEqualTo(1);
        assertThat(out.lines().findFirst()).hasValue("chain_too_deep");
    }

    @Test
    void unreadableInputOrBadUsageExitsTwo() throws Exception {
        Files.writeString(dir.resolve("junk.pem"), "junk");
        assertThat(verify(
                        "--roots",
                        pki.file("root.pem").toString(),
                        dir.resolve("junk.pem").toString()))
                .isEqualTo(2);
        assertThat(verify(
                        "--roots",
                        dir.resolve("missing.pem").toString(),
                        pki.file("root.pem").toString()))
                .isEqualTo(2);
        assertThat(verify(
                        "--roots",
                        pki.file("root.pem").toString(),
                        "--eku",
                        "sideways",
                        pki.file("root.pem").toString()))
                .isEqualTo(2);
        assertThat(verify(pki.file("root.pem").toString())).isEqualTo(2);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
