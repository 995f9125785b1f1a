package org.opencmg.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import org.junit.jupiter.api.Test;

/** The catalogue's own rules: one code per reason, lower_snake_case, an error status, a one-line description. */
class RefusalTest {

    @Test
    void eachReasonHasItsOwnCodeAnErrorStatusAndOneLine() {
        var codes = new HashSet<String>();
        for (Refusal r : Refusal.values()) {
            assertThat(codes.add(r.code())).as(r.code()).isTrue();
            assertThat(r.code()).matches("[a-z0-9]+(_[a-z0-9]+)*");
            assertThat(r.status()).as(r.code()).isBetween(400, 599);
            assertThat(r.description())
                    .as(r.code())
                    .isNotBlank()
                    .doesNotContain("|")
                    .doesNotContain("\n");
            assertThat(Refusal.ofCode(r.code())).contains(r);
        }
    }

    @Test
    void aReasonIsAnsweredAsStatusAndCode() {
        assertThat(Refusal.UNMAPPED_PATH).hasToString("404 unmapped_path");
        assertThat(Refusal.ofCode("wrong_site")).contains(Refusal.WRONG_SITE);
        assertThat(Refusal.ofCode("no_such_reason")).isEmpty();
        assertThat(Refusal.ofCode(null)).isEmpty();
    }

    @Test
    void pluginsRefuseWithTheCatalogue() {
        var refused = (AuthOutcome.Refused) AuthOutcome.refused(Refusal.INVALID_TOKEN, "unknown kid");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.reason()).isEqualTo("invalid_token");
        var answer = ServiceResponse.refuse(Refusal.BAD_PACKAGE_ID, "pid missing");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.reason()).isEqualTo("bad_package_id");
        assertThat(new String(answer.body(), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("400 bad_package_id\n");
    }
}
