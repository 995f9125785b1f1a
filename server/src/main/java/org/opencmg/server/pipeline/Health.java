package org.opencmg.server.pipeline;

import java.util.Optional;

/**
 * What the client connector's probes answer, without authentication and saying nothing secret:
 * {@code /health/live} whether the process works (its store answers), {@code /health/ready}
 * whether a load balancer should send it devices. {@code /health} is the liveness probe, as it
 * always was.
 */
public interface Health {

    /** The process works: its store answered recently. */
    boolean live();

    /** Empty when this instance can serve devices; otherwise why not (one short phrase). */
    Optional<String> notReadyBecause();
}
