package org.opencmg.channel;

/**
 * The connection point's answer to the hello: the protocol version it chose, and who it is. The
 * connection ID is a credential, checked by the gateway together with the TLS client certificate.
 */
public record Welcome(int protocol, String connectionId, String name) {}
