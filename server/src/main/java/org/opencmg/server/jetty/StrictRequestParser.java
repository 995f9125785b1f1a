package org.opencmg.server.jetty;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.util.BufferUtil;
import org.opencmg.server.pipeline.BodyLimit;

/**
 * Jetty's request parser with two checks it does not make, each done on the raw bytes before
 * Jetty reads them:
 * <ul>
 *   <li>the request line is exactly {@code METHOD SP target SP HTTP/1.x CRLF}: Jetty also takes
 *       several spaces and a lower-case {@code http/1.1}, which other servers on the way may read
 *       differently (400);</li>
 *   <li>a chunk whose declared size takes the body past its endpoint's limit is reported when its
 *       size line arrives, so the body's reader refuses it (413) at once, not after its bytes have
 *       been waited for.</li>
 * </ul>
 */
public final class StrictRequestParser extends HttpParser implements BodyLimit {

    private static final Set<State> REQUEST_LINE =
            EnumSet.of(State.START, State.METHOD, State.SPACE1, State.URI, State.SPACE2, State.REQUEST_VERSION);
    /** Where the next bytes are (the CRLF ending a chunk's data, then) a chunk size line. */
    private static final Set<State> CHUNK_SIZE_LINE =
            EnumSet.of(State.CHUNKED_CONTENT, State.CHUNK_SIZE, State.CHUNK_END);

    private static final Pattern REQUEST_LINE_FORM =
            Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ \\t]+ HTTP/1\\.[01]\r");

    /** The raw bytes of the line being parsed that Jetty took in earlier calls. */
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private long bodyBytesLeft = Long.MAX_VALUE;
    private long chunkBytesSeen;
    private Consumer<String> overLimit;
    /** Told after each parse that took bytes whether a request head is begun and unfinished. */
    private HeadProgress headProgress = unfinished -> {};

    /** Whether a request head is under way (its start, or empty lines before one, seen; its end not yet). */
    @FunctionalInterface
    interface HeadProgress {
        void parsed(boolean headUnfinished);
    }

    public StrictRequestParser(RequestHandler handler, int maxHeaderBytes, HttpCompliance compliance) {
        super(handler, maxHeaderBytes, compliance);
    }

    void onHeadProgress(HeadProgress listener) {
        this.headProgress = listener;
    }

    @Override
    public void limitBody(long maxBytes, Consumer<String> overLimit) {
        bodyBytesLeft = maxBytes;
        chunkBytesSeen = 0;
        this.overLimit = overLimit;
    }

    @Override
    public void reset() {
        super.reset();
        line.reset();
        bodyBytesLeft = Long.MAX_VALUE;
        chunkBytesSeen = 0;
        overLimit = null;
    }

    @Override
    public boolean parseNext(ByteBuffer buffer) {
        State state = getState();
        if (REQUEST_LINE.contains(state)) {
            String refusal = checkRequestLine(buffer);
            if (refusal != null) {
                return refuse(buffer, 400, refusal);
            }
        } else if (CHUNK_SIZE_LINE.contains(state) && overLimit != null) {
            String refusal = checkChunkSize(buffer);
            if (refusal != null) {
                // The request is under way: whoever reads its body refuses it (413) and answers.
                overLimit.accept(refusal);
                overLimit = null;
            }
        } else {
            line.reset();
        }
        int start = buffer.position();
        boolean handled = super.parseNext(buffer);
        keepLineBytes(buffer, start, state);
        if (!isStart()) {
            headProgress.parsed(inHeaderState());
        } else if (buffer.position() > start) {
            headProgress.parsed(true); // empty lines before a request line: a head's bytes
        }
        return handled;
    }

    /** Null when the request line is fine or not complete yet; otherwise what is wrong with it. */
    private String checkRequestLine(ByteBuffer buffer) {
        String requestLine = completeLine(buffer);
        return requestLine == null || REQUEST_LINE_FORM.matcher(requestLine).matches()
                ? null
                : "malformed request line";
    }

    /**
     * The line under way, whole (the bytes Jetty took earlier and the buffer's up to its LF), or
     * null while its LF has not arrived. Empty lines before it are skipped: before a request line
     * they are allowed (RFC 9112 2.2), before a chunk size they end the previous chunk's data.
     */
    private String completeLine(ByteBuffer buffer) {
        int from = buffer.position();
        if (line.size() == 0) {
            while (from < buffer.limit() && (buffer.get(from) == '\r' || buffer.get(from) == '\n')) {
                from++;
            }
        }
        int lf = indexOf(buffer, from, (byte) '\n');
        if (lf < 0) {
            return null;
        }
        String whole = line.toString(StandardCharsets.ISO_8859_1) + ascii(buffer, from, lf);
        line.reset();
        return whole;
    }

    /** Null when the chunk size is within what the body may still carry, or not complete yet. */
    private String checkChunkSize(ByteBuffer buffer) {
        String sizeLine = completeLine(buffer);
        if (sizeLine == null) {
            return null;
        }
        String hex = sizeLine.strip();
        int end = 0;
        while (end < hex.length() && Character.digit(hex.charAt(end), 16) >= 0) {
            end++;
        }
        if (end == 0 || end > 15) {
            return null; // not a size a long holds: Jetty refuses the malformed framing itself (400)
        }
        long size = Long.parseLong(hex.substring(0, end), 16);
        chunkBytesSeen += size;
        return chunkBytesSeen > bodyBytesLeft
                ? "a chunk of " + size + " bytes would take the body past its limit of " + bodyBytesLeft + " bytes"
                : null;
    }

    /**
     * Bytes Jetty took of a line it has not finished: kept so the line can be checked whole. Only
     * while the call began and ended within the same kind of line (a call that began in the
     * headers and ended before a chunk size took header bytes, not size digits).
     */
    private void keepLineBytes(ByteBuffer buffer, int start, State before) {
        State now = getState();
        boolean withinLine = REQUEST_LINE.contains(before) && REQUEST_LINE.contains(now)
                || CHUNK_SIZE_LINE.contains(before) && CHUNK_SIZE_LINE.contains(now);
        if (withinLine && buffer.position() > start) {
            int from = start;
            if (line.size() == 0) {
                while (from < buffer.position() && (buffer.get(from) == '\r' || buffer.get(from) == '\n')) {
                    from++; // empty lines before a request line, or the CRLF ending a chunk's data
                }
            }
            for (int i = from; i < buffer.position(); i++) {
                if (line.size() < 16 * 1024) {
                    line.write(buffer.get(i));
                }
            }
        }
    }

    private boolean refuse(ByteBuffer buffer, int status, String reason) {
        line.reset();
        BufferUtil.clear(buffer);
        badMessage(new HttpException.RuntimeException(status, reason));
        return false;
    }

    private static int indexOf(ByteBuffer buffer, int from, byte b) {
        for (int i = from; i < buffer.limit(); i++) {
            if (buffer.get(i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static String ascii(ByteBuffer buffer, int from, int to) {
        var sb = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            sb.append((char) (buffer.get(i) & 0xff));
        }
        return sb.toString();
    }
}
