package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TlsProviderTest {

    @Test
    void theSettingNamesAProviderAndItsAbsenceMeansTheDefault() {
        assertThat(TlsProvider.parse(null, TlsProvider.NETTY)).isEqualTo(TlsProvider.NETTY);
        assertThat(TlsProvider.parse(" ", TlsProvider.JDK)).isEqualTo(TlsProvider.JDK);
        assertThat(TlsProvider.parse("JDK", TlsProvider.NETTY)).isEqualTo(TlsProvider.JDK);
        assertThat(TlsProvider.parse("conscrypt", TlsProvider.JDK)).isEqualTo(TlsProvider.CONSCRYPT);
        assertThat(TlsProvider.parse("Netty", TlsProvider.JDK)).isEqualTo(TlsProvider.NETTY);
        assertThatThrownBy(() -> TlsProvider.parse("openssl", TlsProvider.JDK))
                .hasMessageContaining("jdk, conscrypt or netty");
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
