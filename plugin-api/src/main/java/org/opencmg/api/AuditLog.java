package org.opencmg.api;

/** Appends to the gateway's audit log. Never pass a secret in any argument. */
public interface AuditLog {

    void record(String actor, String action, String target, String detail);
}
