package io.fluxfleet.console;

/** A console page that cannot be shown (not found, not allowed): answered as an HTML error page. */
public class ConsoleException extends RuntimeException {

    private final int status;

    ConsoleException(int status, String message) {
        super(message);
        this.status = status;
    }

    static ConsoleException notFound(String message) {
        return new ConsoleException(404, message);
    }

    static ConsoleException forbidden(String message) {
        return new ConsoleException(403, message);
    }

    public int status() {
        return status;
    }
}
