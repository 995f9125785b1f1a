package org.opencmg.channel;

import java.util.List;

/**
 * The gateway's first message on a new channel: the protocol versions it speaks, which instance
 * it is, and how often it will PING (the connection point expects PINGs at least that often).
 */
public record Hello(List<Integer> protocols, String instance, long heartbeatMillis) {}
