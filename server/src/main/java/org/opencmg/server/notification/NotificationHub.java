package org.opencmg.server.notification;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.opencmg.channel.Notification;
import org.opencmg.channel.NotificationReport;

/**
 * The client notification channels this gateway instance holds, by site and device identity. A
 * notification a connection point relays is handed to every channel of the named devices (or of
 * every device of the site) held here; the report says whom it reached. Nothing here touches the
 * site: a device costs one entry and its own connection to the gateway.
 */
public final class NotificationHub {

    /** One device's open notification channel (a WebSocket, or a long poll waiting). */
    public interface Subscriber {
        /** Hands the message on; false if the channel is gone or cannot take it. */
        boolean deliver(String message);
    }

    /** What {@link #hold} gives back: closing it ends the holding. */
    public interface Holding extends AutoCloseable {
        @Override
        void close();
    }

    /** Why a device may not hold another channel here. */
    public static final class Full extends Exception {
        Full(String message) {
            super(message, null, false, false);
        }
    }

    private final String instance;
    private final int maxChannels;
    private final int maxPerDevice;
    private final Map<String, Map<String, Set<Subscriber>>> bySite = new ConcurrentHashMap<>();
    private final AtomicInteger held = new AtomicInteger();
    private final Counter delivered;
    private final Counter notHere;
    private final Counter refusedFull;

    /**
     * @param maxChannels  channels this instance holds at most (each is a connection: stay under the file limit)
     * @param maxPerDevice channels one device identity may hold at once (a device reconnecting before its
     *                     old connection timed out, a few processes of one machine)
     */
    public NotificationHub(String instance, int maxChannels, int maxPerDevice, MeterRegistry meters) {
        this.instance = instance;
        this.maxChannels = maxChannels;
        this.maxPerDevice = maxPerDevice;
        Gauge.builder("cmg_notification_channels", held, AtomicInteger::get)
                .description("Client notification channels (WebSockets and long polls) held by this instance")
                .register(meters);
        delivered = Counter.builder("cmg_notifications")
                .tag("result", "delivered")
                .description("Notifications for devices, by what became of them on this instance")
                .register(meters);
        notHere = Counter.builder("cmg_notifications")
                .tag("result", "not_connected_here")
                .description("Notifications for devices, by what became of them on this instance")
                .register(meters);
        refusedFull = Counter.builder("cmg_notification_channels_refused")
                .description(
                        "Notification channels refused because this instance or the device held as many as allowed")
                .register(meters);
    }

    /** Holds a device's channel until the returned holding is closed. */
    public Holding hold(String site, String deviceId, Subscriber subscriber) throws Full {
        if (held.incrementAndGet() > maxChannels) {
            held.decrementAndGet();
            refusedFull.increment();
            throw new Full("this instance holds " + maxChannels + " notification channels");
        }
        var devices = bySite.computeIfAbsent(site, s -> new ConcurrentHashMap<>());
        boolean[] added = {false};
        devices.compute(deviceId, (id, set) -> {
            Set<Subscriber> s = set == null ? ConcurrentHashMap.newKeySet() : set;
            if (s.size() < maxPerDevice) {
                added[0] = s.add(subscriber);
            }
            return s;
        });
        if (!added[0]) {
            held.decrementAndGet();
            refusedFull.increment();
            throw new Full("the device holds " + maxPerDevice + " notification channels already");
        }
        return () -> release(devices, deviceId, subscriber);
    }

    private void release(Map<String, Set<Subscriber>> devices, String deviceId, Subscriber subscriber) {
        boolean[] removed = {false};
        devices.computeIfPresent(deviceId, (id, set) -> {
            removed[0] = set.remove(subscriber);
            return set.isEmpty() ? null : set;
        });
        if (removed[0]) {
            held.decrementAndGet();
        }
    }

    /** Hands a site's notification to the channels held here; the report names the devices reached. */
    public NotificationReport deliver(String site, Notification notification) {
        var devices = bySite.getOrDefault(site, Map.of());
        var reached = new ArrayList<String>();
        if (notification.all()) {
            devices.forEach((id, subscribers) -> {
                if (deliverTo(subscribers, notification.message())) {
                    reached.add(id);
                }
            });
        } else {
            for (String id : notification.devices()) {
                Set<Subscriber> subscribers = devices.get(id);
                if (subscribers != null && deliverTo(subscribers, notification.message())) {
                    reached.add(id);
                } else {
                    notHere.increment();
                }
            }
        }
        delivered.increment(reached.size());
        return new NotificationReport(notification.id(), instance, List.copyOf(reached), devices.size());
    }

    private static boolean deliverTo(Set<Subscriber> subscribers, String message) {
        boolean any = false;
        for (Subscriber s : subscribers) {
            any |= s.deliver(message);
        }
        return any;
    }

    /** Channels held now, on this instance. */
    public int held() {
        return held.get();
    }
}
