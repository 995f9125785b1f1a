package org.opencmg.connectionpoint;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.channel.ChannelProtocol;

/**
 * Counts the exchanges the gateways' streams bring: in flight now, forwarded (the internal server
 * answered, whatever its status) and refused here, by the reason the answer carries to the gateway
 * ({@value ChannelProtocol#REFUSAL_HEADER}: a fixed set of reason codes, so a bounded set of series).
 * The connection analyzer's synthetic exchanges ({@value ChannelProtocol#ANALYZER_HEADER}) are counted
 * apart, never as device traffic.
 */
final class ExchangeMeter extends Handler.Wrapper {

    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder forwarded = new LongAdder();
    private final Map<String, LongAdder> refused = new ConcurrentHashMap<>();
    private final LongAdder analyzer = new LongAdder();

    ExchangeMeter(Handler exchanges) {
        super(exchanges);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        inFlight.incrementAndGet();
        boolean synthetic = request.getHeaders().contains(ChannelProtocol.ANALYZER_HEADER);
        var counted = Callback.from(callback, () -> ended(response, synthetic));
        boolean handled;
        try {
            handled = super.handle(request, response, counted);
        } catch (Exception | Error e) {
            inFlight.decrementAndGet();
            throw e;
        }
        if (!handled) {
            inFlight.decrementAndGet();
        }
        return handled;
    }

    private void ended(Response response, boolean synthetic) {
        inFlight.decrementAndGet();
        if (synthetic) {
            analyzer.increment();
            return;
        }
        String reason = response.getHeaders().get(ChannelProtocol.REFUSAL_HEADER);
        if (reason == null) {
            forwarded.increment();
        } else {
            refused.computeIfAbsent(reason, r -> new LongAdder()).increment();
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Synthetic exchanges of the connection analyzer, whatever their outcome. */
    long analyzer() {
        return analyzer.sum();
    }

    long forwarded() {
        return forwarded.sum();
    }

    /** Refusals by reason, sorted. */
    Map<String, Long> refused() {
        var out = new TreeMap<String, Long>();
        refused.forEach((reason, n) -> out.put(reason, n.sum()));
        return out;
    }
}
