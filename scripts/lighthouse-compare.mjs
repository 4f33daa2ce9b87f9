// Compares two builds on one page with Lighthouse's performance audits,
// run alternately (A, B, A, B…) in a fresh Chromium each time, so that
// both meet the same load on a shared machine; prints each run and the
// medians (scripts/lighthouse, LH_BASELINE).
// Usage: node compare.mjs OUTDIR FORMFACTOR RUNS NAME BASE PATH COOKIE NAME BASE PATH COOKIE
// (run from the folder lighthouse is installed in).
import fs from "node:fs";
import puppeteer from "puppeteer-core";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

const [outDir, formFactor, runsArg, ...rest] = process.argv.slice(2);
const runs = Number(runsArg);
const builds = [];
for (let i = 0; i + 3 < rest.length; i += 4) {
  const [name, base, path, cookie] = rest.slice(i, i + 4);
  const cookies = cookie.split("; ").map(kv => {
    const [n, value] = kv.split("=");
    return { name: n, value, url: base };
  });
  builds.push({ name, url: base + path, cookies, results: [] });
}

async function audit(build) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--no-first-run"],
  });
  try {
    const tab = await browser.newPage();
    await tab.setCookie(...build.cookies);
    const flags = { output: ["json"], onlyCategories: ["performance"], logLevel: "error" };
    const result = await lighthouse(build.url, flags, formFactor === "desktop" ? desktopConfig : undefined, tab);
    return result.lhr;
  } finally {
    await browser.close();
  }
}

// figures are what one run says: the score, TBT, DOM size, main-thread
// work and script time, FCP and LCP (ms), and the bytes moved.
function figures(lhr) {
  const a = lhr.audits;
  const num = (id) => a[id] && typeof a[id].numericValue === "number" ? a[id].numericValue : NaN;
  return {
    score: Math.round((lhr.categories.performance.score ?? 0) * 100),
    tbt: num("total-blocking-time"),
    dom: num("dom-size"),
    main: num("mainthread-work-breakdown"),
    boot: num("bootup-time"),
    fcp: num("first-contentful-paint"),
    lcp: num("largest-contentful-paint"),
    bytes: num("total-byte-weight"),
  };
}

const median = (xs) => {
  const s = xs.filter(x => !Number.isNaN(x)).sort((p, q) => p - q);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (f) => `score ${f.score}, TBT ${Math.round(f.tbt)} ms, DOM ${f.dom}, main thread ${Math.round(f.main)} ms, ` +
  `script ${Math.round(f.boot)} ms, FCP ${Math.round(f.fcp)} ms, LCP ${Math.round(f.lcp)} ms, ${Math.round(f.bytes / 1024)} KiB`;

fs.mkdirSync(outDir, { recursive: true });
for (let i = 0; i < runs; i++) {
  for (const build of builds) {
    // A run whose trace failed (Lighthouse's NO_NAVSTART, the "0" of
    // loaded runs) says nothing about the page: it is run again.
    let lhr = await audit(build);
    for (let retry = 0; lhr.runtimeError && retry < 2; retry++) {
      console.log(`run ${i + 1} ${build.name}: ${lhr.runtimeError.code}, again`);
      lhr = await audit(build);
    }
    const f = figures(lhr);
    build.results.push(f);
    fs.writeFileSync(`${outDir}/compare-${formFactor}-${build.name.replace(/\W+/g, "_")}-${i + 1}.json`, JSON.stringify(lhr));
    console.log(`run ${i + 1} ${build.name.padEnd(14)} ${fmt(f)}  (load ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")})`);
  }
}
for (const build of builds) {
  const med = {};
  for (const key of Object.keys(build.results[0])) med[key] = median(build.results.map(r => r[key]));
  console.log(`median ${build.name.padEnd(14)} ${fmt(med)}  (scores ${build.results.map(r => r.score).join(", ")})`);
}
