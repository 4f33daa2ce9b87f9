// Runs Lighthouse on the pages scripts/lighthouse names, each as a phone
// (Lighthouse's default: a mid-range phone on a throttled network) and as
// a desktop, in a fresh Chromium each time (an empty cache), and prints the
// four category scores with the metrics behind performance.
// Usage: node run.mjs BASE OUTDIR LOGIN_PATH CHAT_PATH COOKIE
// (run from the folder lighthouse is installed in).
import fs from "node:fs";
import puppeteer from "puppeteer-core";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

const [base, outDir, loginPath, chatPath, cookie] = process.argv.slice(2);
const pages = [
  { name: "login", path: loginPath, cookies: [] },
  // The child's session: the cookies go in before the run, which keeps
  // them (Lighthouse clears caches and storage, never cookies).
  { name: "chat", path: chatPath, cookies: cookie.split("; ").map(kv => {
    const [name, value] = kv.split("=");
    return { name, value, url: base };
  }) },
];
const categories = ["performance", "accessibility", "best-practices", "seo"];

async function audit(page, formFactor) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--no-first-run"],
  });
  try {
    const tab = await browser.newPage();
    if (page.cookies.length) await tab.setCookie(...page.cookies);
    const flags = { output: ["html", "json"], onlyCategories: categories, logLevel: "error" };
    const result = await lighthouse(base + page.path, flags, formFactor === "desktop" ? desktopConfig : undefined, tab);
    const [html, json] = result.report;
    const file = `${outDir}/${page.name}-${formFactor}`;
    fs.writeFileSync(file + ".html", html);
    fs.writeFileSync(file + ".json", json);
    return result.lhr;
  } finally {
    await browser.close();
  }
}

function line(page, formFactor, lhr) {
  const score = (c) => Math.round(lhr.categories[c].score * 100);
  const metric = (id) => lhr.audits[id].displayValue;
  const failed = Object.values(lhr.audits).filter(a => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "manual");
  return `${page.padEnd(6)} ${formFactor.padEnd(8)} ` + categories.map(c => `${c} ${score(c)}`).join("  ") +
    `  | FCP ${metric("first-contentful-paint")}, LCP ${metric("largest-contentful-paint")}, TBT ${metric("total-blocking-time")}, CLS ${metric("cumulative-layout-shift")}` +
    (failed.length ? `\n       below 0.9: ${failed.map(a => `${a.id} (${a.displayValue || a.score})`).join(", ")}` : "");
}

const lines = [];
for (const page of pages) {
  for (const formFactor of ["mobile", "desktop"]) {
    const lhr = await audit(page, formFactor);
    lines.push(line(page.name, formFactor, lhr));
    console.log(lines.at(-1));
  }
}
