package org.opencmg.webapp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.opencmg.api.Html;

class HtmlTest {

    @Test
    void markupInValuesIsEscapedForTextAndAttributes() {
        assertThat(Html.text("<script>alert('x')</script> & \"q\""))
                .isEqualTo("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
        assertThat(Html.text(null)).isEmpty();
        assertThat(Html.text("a\u0000b")).doesNotContain("\u0000");
    }

    @Test
    void everyButtonFormCarriesTheCsrfToken() {
        assertThat(Html.buttonForm("/x", "tok\"en", "Go", "id", "<1>"))
                .contains("<input type=\"hidden\" name=\"csrf\" value=\"tok&quot;en\">")
                .contains("value=\"&lt;1&gt;\"")
                .contains("method=\"post\"");
    }

    @Test
    void aRowButtonCanBeNamedForScreenReaders() {
        assertThat(Html.namedButtonForm("/x", "t", "Block", "Block token <7>", "id", "7"))
                .contains("<button type=\"submit\" aria-label=\"Block token &lt;7&gt;\">Block</button>");
    }
}
