package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TlsProviderTest {

    @Test
    void theSettingNamesAProviderAndItsAbsenceMeansTheDefault() {
        assertThat(TlsProvider.parse(null)).isEqualTo(TlsProvider.DEFAULT);
        assertThat(TlsProvider.parse(" ")).isEqualTo(TlsProvider.DEFAULT);
        assertThat(TlsProvider.parse("JDK")).isEqualTo(TlsProvider.JDK);
        assertThat(TlsProvider.parse("conscrypt")).isEqualTo(TlsProvider.CONSCRYPT);
        assertThatThrownBy(() -> TlsProvider.parse("openssl")).hasMessageContaining("jdk or conscrypt");
    }

    @Test
    void conscryptRunsTheProtocolWithoutBecomingTheJvmsDefault() throws Exception {
        var context = TlsProvider.CONSCRYPT.context(null, null);
        assertThat(context.getProvider().getName()).isEqualTo("Conscrypt");
        assertThat(TlsProvider.CONSCRYPT.effective()).isEqualTo(TlsProvider.CONSCRYPT);
        assertThat(javax.net.ssl.SSLContext.getDefault().getProvider().getName())
                .isEqualTo("SunJSSE");
        assertThat(TlsProvider.JDK.context(null, null).getProvider().getName()).isEqualTo("SunJSSE");
    }
}
