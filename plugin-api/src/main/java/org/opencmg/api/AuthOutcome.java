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
    record NotMine() implements AuthOutcome {
    }

    /**
     * The request carries credentials of this method and they are not acceptable.
     *
     * @param status 401 or 403 (503 when the method itself cannot work right now)
     * @param reason a short stable code, lower_snake_case, logged and counted ("untrusted_root")
     * @param detail for the log only, never sent to the client; may be empty, never a secret
     */
    record Refused(int status, String reason, String detail) implements AuthOutcome {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            detail = detail == null ? "" : detail;
        }
    }

    AuthOutcome NOT_MINE = new NotMine();

    static AuthOutcome refused(int status, String reason, String detail) {
        return new Refused(status, reason, detail);
    }
}
