package org.opencmg.channel;

import java.util.List;

/**
 * What one gateway instance did with a notification: the devices it handed it to (their
 * identities), and how many notification channels of the site it held then.
 */
public record NotificationReport(String id, String instance, List<String> delivered, int held) {

    public NotificationReport {
        delivered = delivered == null ? List.of() : List.copyOf(delivered);
    }
}
