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
    const [html] = result.report;
    fs.writeFileSync(`${outDir}/${page.name}-${formFactor}-${result.lhr.categories.performance.score}.html`, html);
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

// Each page is audited RUNS times (LH_RUNS, default 3); the run with the
// median performance score is the one printed and kept, as Lighthouse's
// own docs advise: one run moves with whatever else the machine does.
const runs = Number(process.env.LH_RUNS || 3);
for (const page of pages) {
  for (const formFactor of ["mobile", "desktop"]) {
    const all = [];
    for (let i = 0; i < runs; i++) all.push(await audit(page, formFactor));
    all.sort((a, b) => a.categories.performance.score - b.categories.performance.score);
    const median = all[Math.floor(all.length / 2)];
    const file = `${outDir}/${page.name}-${formFactor}`;
    fs.writeFileSync(file + ".json", JSON.stringify(median));
    console.log(line(page.name, formFactor, median) +
      `\n       performance of the ${runs} runs: ${all.map(l => Math.round(l.categories.performance.score * 100)).join(", ")}`);
  }
}
