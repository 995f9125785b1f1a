package org.opencmg.api;

import java.util.Objects;

/** What an {@link Authenticator} made of a request. Dispatch with a pattern-matching switch. */
public sealed interface AuthOutcome {

    /** The request carries valid credentials of this method. */
    record Authenticated(Device device) implements AuthOutcome {
        public Authenticated {
            Objects.requireNonNull(device, "device");
        }
    }

    /** The request carries no credentials of this method; the next authenticator is asked. */
    record NotMine() implements AuthOutcome {}

    /**
     * The request carries credentials of this method and they are not acceptable.
     *
     * @param refusal why, from the catalogue: answered with its status, logged and counted by its code
     *                (401 or 403 as a rule; 503 when the method itself cannot work right now)
     * @param detail  for the log only, never sent to the client; may be empty, never a secret
     */
    record Refused(Refusal refusal, String detail) implements AuthOutcome {
        public Refused {
            Objects.requireNonNull(refusal, "refusal");
            detail = detail == null ? "" : detail;
        }

        public int status() {
            return refusal.status();
        }

        /** The refusal's code ("untrusted_root"). */
        public String reason() {
            return refusal.code();
        }
    }

    AuthOutcome NOT_MINE = new NotMine();

    static AuthOutcome refused(Refusal refusal, String detail) {
        return new Refused(refusal, detail);
    }
}
