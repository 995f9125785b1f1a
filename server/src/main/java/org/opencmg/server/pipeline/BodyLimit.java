package org.opencmg.server.pipeline;

import java.util.function.Consumer;

/**
 * A connection's request parser that can refuse a body's framing as soon as it announces more
 * than the routed endpoint allows (a chunk size line), before the bytes are waited for.
 */
public interface BodyLimit {

    /**
     * The current request's body may carry at most this many bytes; {@code overLimit} is told
     * (once, with why) when the framing announces more.
     */
    void limitBody(long maxBytes, Consumer<String> overLimit);
}
