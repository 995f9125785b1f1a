package org.opencmg.webapp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CsrfTokensTest {

    @Test
    void onlyTheExactTokenMatches() {
        String token = CsrfTokens.random();
        assertThat(CsrfTokens.matches(token, token)).isTrue();
        assertThat(CsrfTokens.matches(token, token.substring(1))).isFalse();
        assertThat(CsrfTokens.matches(token, token + "x")).isFalse();
        assertThat(CsrfTokens.matches(token, CsrfTokens.random())).isFalse();
    }

    @Test
    void aMissingTokenNeverMatches() {
        assertThat(CsrfTokens.matches(CsrfTokens.random(), null)).isFalse();
        assertThat(CsrfTokens.matches(CsrfTokens.random(), "")).isFalse();
        assertThat(CsrfTokens.matches(null, null)).isFalse();
        assertThat(CsrfTokens.matches("", ""))
                .as("an empty expected token is no token")
                .isFalse();
    }

    @Test
    void tokensAreFresh() {
        assertThat(CsrfTokens.random()).hasSize(43).isNotEqualTo(CsrfTokens.random());
    }
}
