package org.opencmg.channel;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One notification a site sends to its devices ("client notification"): to the listed devices, or
 * to every device of the site connected to a gateway instance. It travels from the site's sender to
 * a connection point, which writes it once on each of its channels; every gateway instance hands it
 * to the devices that hold a notification channel there.
 *
 * @param id      the sender's or the connection point's identifier, echoed in reports
 * @param devices the device identities ({@code X-OpenCMG-Device-Id} as the site sees them); empty with {@code all}
 * @param all     to every device of the site
 * @param message what the devices receive, as sent (the sender's format; text)
 */
public record Notification(String id, List<String> devices, boolean all, String message) {

    /** A message is a nudge ("evaluate policy", "run script X"), never content. */
    public static final int MAX_MESSAGE_BYTES = 4096;

    public static final int MAX_DEVICES = 10_000;
    public static final int MAX_ID_LENGTH = 256;
    /** One notification as a line of the channel's notification stream, with room for its devices. */
    public static final int MAX_LINE_BYTES = MAX_MESSAGE_BYTES + MAX_DEVICES * (MAX_ID_LENGTH + 3) + 1024;

    public Notification {
        devices = devices == null ? List.of() : List.copyOf(devices);
    }

    /** Why this notification may not be sent, or null: the sender gets it as a 400's reason. */
    public String problem() {
        if (id == null || id.isBlank() || id.length() > MAX_ID_LENGTH) {
            return "id missing or longer than " + MAX_ID_LENGTH;
        }
        if (message == null || message.getBytes(StandardCharsets.UTF_8).length > MAX_MESSAGE_BYTES) {
            return "message missing or longer than " + MAX_MESSAGE_BYTES + " bytes";
        }
        if (all == !devices.isEmpty()) {
            return "name devices, or all: true (not both)";
        }
        if (devices.size() > MAX_DEVICES) {
            return "more than " + MAX_DEVICES + " devices";
        }
        for (String d : devices) {
            if (d == null || d.isBlank() || d.length() > MAX_ID_LENGTH) {
                return "a device identity is empty or longer than " + MAX_ID_LENGTH;
            }
        }
        return null;
    }
}
