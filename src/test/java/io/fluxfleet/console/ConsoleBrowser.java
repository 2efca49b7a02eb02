package io.fluxfleet.console;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Debian's headless Chromium (/usr/bin/chromium, installed by .ci/run) driven by Playwright for Java,
 * which downloads no browser. Screenshots go to target/console-screenshots/; with
 * {@code -Dconsole.screenshots=docs/console} they are copied there too (the docs' pictures).
 */
final class ConsoleBrowser implements AutoCloseable {

    static final Path CHROMIUM = Paths.get(System.getProperty("console.chromium", "/usr/bin/chromium"));
    static final Path SHOTS = Paths.get(System.getProperty("buildDir", "target"), "console-screenshots");

    private final Playwright playwright;
    private final Browser browser;
    private final String base;

    ConsoleBrowser(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(CHROMIUM)
                .setHeadless(true).setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage")));
    }

    /** A fresh browser session (own cookies) signed in with {@code key}, laptop-sized. */
    Page signedIn(String key) {
        return signedIn(key, 1280, 860);
    }

    Page signedIn(String key, int width, int height) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(width, height));
        context.setDefaultTimeout(30_000);
        Page page = context.newPage();
        page.navigate(url("/console/login"));
        page.fill("input[name=key]", key);
        page.click("button[type=submit]");
        page.waitForURL("**/console/jobs");
        return page;
    }

    String url(String path) {
        return base + path;
    }

    /** Saves a full-page screenshot as NAME.png (and into the docs folder when asked). */
    void shoot(Page page, String name) {
        try {
            Files.createDirectories(SHOTS);
            Path file = SHOTS.resolve(name + ".png");
            page.screenshot(new Page.ScreenshotOptions().setPath(file).setFullPage(true));
            String docs = System.getProperty("console.screenshots");
            if (docs != null && !docs.isBlank()) {
                Path dir = Paths.get(docs);
                Files.createDirectories(dir);
                Files.copy(file, dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        browser.close();
        playwright.close();
    }
}
