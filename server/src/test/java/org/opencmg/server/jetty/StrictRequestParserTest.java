package org.opencmg.server.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StrictRequestParserTest {

    /** What the parser told its handler. */
    static final class Events implements org.eclipse.jetty.http.HttpParser.RequestHandler {
        final List<String> seen = new ArrayList<>();
        int badStatus;

        @Override
        public void startRequest(String method, String uri, HttpVersion version) {
            seen.add("start " + method + " " + uri);
        }

        @Override
        public void parsedHeader(HttpField field) {}

        @Override
        public boolean headerComplete() {
            seen.add("head");
            return true; // as Jetty's connection does: stop and dispatch
        }

        @Override
        public boolean content(ByteBuffer content) {
            seen.add("content " + content.remaining());
            content.position(content.limit());
            return true;
        }

        @Override
        public boolean contentComplete() {
            return false;
        }

        @Override
        public boolean messageComplete() {
            seen.add("end");
            return true;
        }

        @Override
        public void earlyEOF() {}

        @Override
        public void badMessage(HttpException failure) {
            badStatus = failure.getCode();
        }
    }

    private final Events events = new Events();
    private final StrictRequestParser parser = new StrictRequestParser(events, 16 * 1024, HttpCompliance.RFC9110);

    private void feed(String... pieces) {
        for (String piece : pieces) {
            ByteBuffer buffer = ByteBuffer.wrap(piece.getBytes(StandardCharsets.ISO_8859_1));
            while (buffer.hasRemaining() && events.badStatus == 0) {
                int before = buffer.remaining();
                parser.parseNext(buffer);
                if (buffer.remaining() == before) {
                    break;
                }
            }
        }
    }

    @Test
    void takesAWellFormedRequestLineEvenWhenItArrivesAByteAtATime() {
        String request = "\r\nGET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n";
        feed(request.split(""));

        assertThat(events.badStatus).isZero();
        assertThat(events.seen).contains("start GET /a?b=c", "head");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"GET /a http/1.1", "GET  /a HTTP/1.1", "GET /a  HTTP/1.1", "GET /a HTTP/1.1 ", "GET\t/a HTTP/1.1"
            })
    void refusesARequestLineOtherServersCouldReadDifferently(String line) {
        feed(line + "\r\nHost: x\r\n\r\n");

        assertThat(events.badStatus).isEqualTo(400);
        assertThat(events.seen).noneMatch(e -> e.startsWith("head"));
    }

    @Test
    void refusesALowerCaseVersionSentAByteAtATime() {
        feed("GET /a http/1.1\r\nHost: x\r\n\r\n".split(""));

        assertThat(events.badStatus).isEqualTo(400);
    }

    @Test
    void reportsAChunkSizePastTheBodyLimitWhenItsSizeLineArrives() {
        feed("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        var over = new ArrayList<String>();
        parser.limitBody(1024, over::add);

        feed("400\r\n" + "a".repeat(1024) + "\r\n");
        assertThat(over).as("1,024 bytes fit").isEmpty();
        feed("1\r\n");
        assertThat(over).singleElement().asString().contains("limit of 1024");
    }

    @Test
    void reportsAHugeChunkSizeSplitAcrossReads() {
        feed("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        var over = new ArrayList<String>();
        parser.limitBody(1024, over::add);

        feed("FF", "FFFF", "\r\nabc");
        assertThat(over).hasSize(1);
    }
}
