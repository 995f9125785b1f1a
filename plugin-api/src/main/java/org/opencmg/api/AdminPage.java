package org.opencmg.api;

import org.pf4j.ExtensionPoint;

/**
 * A page a plugin adds to the admin console, at {@code /plugins/<plugin id>/<path>}. The console
 * has already logged the administrator in; a POST reaches {@link #submit} only after its CSRF
 * token was checked. The page returns the HTML of its main content (the console adds the layout):
 * escape every value with {@link Html#text} and put {@link PageRequest#csrfField()} in every form.
 */
public interface AdminPage extends ExtensionPoint {

    /** One path segment ("tokens"). */
    String path();

    /** The title in the navigation and the page's heading. */
    String title();

    /** GET: the page. */
    PageReply render(PageRequest request);

    /** POST (CSRF-checked): a change. Audit it with {@link PageRequest#actor()}. */
    default PageReply submit(PageRequest request) {
        return PageReply.error(405, "this page takes no form");
    }
}
