package io.fluxfleet.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Where a webjar's files are served: /webjars/NAME/VERSION/, with the version the build pinned. */
final class WebJars {

    private WebJars() {
    }

    /** The served path of {@code file} in the npm webjar {@code name} on the class path. */
    static String path(String name, String file) {
        String pom = "META-INF/maven/org.webjars.npm/" + name + "/pom.properties";
        try (InputStream in = WebJars.class.getClassLoader().getResourceAsStream(pom)) {
            if (in == null) {
                throw new IllegalStateException("the webjar org.webjars.npm:" + name + " is not on the class path");
            }
            Properties p = new Properties();
            p.load(in);
            return "/webjars/" + name + "/" + p.getProperty("version") + "/" + file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
