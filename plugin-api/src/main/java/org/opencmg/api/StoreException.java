package org.opencmg.api;

/** A store operation failed. The message names the statement, never bound values. */
public final class StoreException extends RuntimeException {
    public StoreException(String what, Throwable cause) {
        super("store: " + firstWords(what) + ": " + cause.getMessage(), cause);
    }

    private static String firstWords(String sql) {
        String s = sql.strip().replaceAll("\\s+", " ");
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }
}
