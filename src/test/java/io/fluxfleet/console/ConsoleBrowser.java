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
public final class ConsoleBrowser implements AutoCloseable {

    static final Path CHROMIUM = Paths.get(System.getProperty("console.chromium", "/usr/bin/chromium"));
    static final Path SHOTS = Paths.get(System.getProperty("buildDir", "target"), "console-screenshots");

    /** How long {@link #reloadUntil} waits for a page to show a text. */
    static final java.time.Duration RELOAD_WAIT = java.time.Duration.ofSeconds(90);

    private final Playwright playwright;
    private final Browser browser;
    private final String base;

    public ConsoleBrowser(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(CHROMIUM)
                .setHeadless(true).setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage")));
    }

    /** A fresh browser session (own cookies) signed in with {@code key}, laptop-sized. */
    public Page signedIn(String key) {
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

    public String url(String path) {
        return base + path;
    }

    /** Saves a full-page screenshot as NAME.png (and into the docs folder when asked). */
    public void shoot(Page page, String name) {
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

    /** Reloads the page until the selector's text is {@code text} (pages other than the jobs table are not live). */
    public static void reloadUntil(Page page, String selector, String text) throws InterruptedException {
        long deadline = System.currentTimeMillis() + RELOAD_WAIT.toMillis();
        while (true) {
            com.microsoft.playwright.Locator l = page.locator(selector);
            if (l.count() > 0 && l.first().textContent().contains(text)) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(selector + " never showed '" + text + "': "
                        + (l.count() > 0 ? l.first().textContent() : "absent"));
            }
            Thread.sleep(300);
            page.reload();
        }
    }

    @Override
    public void close() {
        browser.close();
        playwright.close();
    }
}
