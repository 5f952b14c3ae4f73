// Saves a screenshot of the console during the demo (docs/console.png):
//   node tests/e2e/demo_screenshot.mjs http://127.0.0.1:8080 demo PASSWORD docs/console.png
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), "web", "package.json"));
const { chromium } = require("playwright-core");
const [url, user, password, out] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"] });
const page = await browser.newPage({ viewport: { width: 1440, height: 820 } });
await page.goto(url + "/");
await page.fill("#username", user);
await page.fill("#password", password);
await page.click("#login button");
await page.waitForSelector("#live[data-state=live]", { timeout: 15000 });
await page.waitForSelector("#map[data-ready='1']", { timeout: 20000 });
await page.waitForTimeout(4000);
const first = page.locator("#queue tbody tr").first();
if (await first.count()) {
  await first.click();
  await page.waitForTimeout(1500);
  if (await page.locator("#rec-make").count()) {
    await page.click("#rec-make");
    await page.waitForTimeout(1500);
  }
}
// The whole northern city in view, the selected incident's detail on the side.
await page.evaluate(() => window.__ncc.cop.map.jumpTo({ center: [-122.43, 37.782], zoom: 12.3 }));
await page.waitForTimeout(1500);
await page.screenshot({ path: out });
await browser.close();
