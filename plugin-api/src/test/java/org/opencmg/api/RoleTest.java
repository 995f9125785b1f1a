package org.opencmg.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoleTest {

    /** A role written before roles declared headers: it still compiles and declares none. */
    static final class OlderRole implements Role {
        @Override
        public String kind() {
            return "older";
        }

        @Override
        public List<Endpoint> endpoints(String roleId, String internalBaseUrl) {
            return List.of();
        }
    }

    @Test
    void aRoleThatDeclaresNoHeadersGetsOnlyTheStandardOnes() {
        assertThat(new OlderRole().requestHeaders()).isEmpty();
    }
}
