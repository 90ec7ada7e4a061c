import {
  AccessGate,
  formatSeconds,
  GenerateForm,
  OpenVProvider,
  TermsGate,
  useUsage,
  VideoGallery,
} from "@openv/react";
import type { OpenVClient } from "@openv/sdk";
import { useEffect, useState } from "react";

type Theme = "system" | "light" | "dark";

/** System, light or dark: `data-openv-theme` on <html> overrides prefers-color-scheme for the page and the components. */
function ThemePicker() {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem("openv-theme") as Theme | null) ?? "system");
  useEffect(() => {
    if (theme === "system") delete document.documentElement.dataset.openvTheme;
    else document.documentElement.dataset.openvTheme = theme;
    localStorage.setItem("openv-theme", theme);
  }, [theme]);
  return (
    <label className="app-theme">
      Theme{" "}
      <select value={theme} onChange={(event) => setTheme(event.target.value as Theme)}>
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

function QuotaBadge() {
  const { usage, error } = useUsage();
  if (!usage) {
    return <span className="app-quota">{error ? "Quota unavailable" : "Checking quota…"}</span>;
  }
  if (usage.credits) {
    // Credits billing: the balance is what limits the next video.
    return (
      <span className="app-quota" data-empty={usage.credits.balance <= 0 ? "" : undefined}>
        <strong>{usage.credits.balance}</strong> {usage.credits.balance === 1 ? "credit" : "credits"}
      </span>
    );
  }
  if (usage.limitSeconds === null || usage.remainingSeconds === null) {
    return (
      <span className="app-quota">
        <strong>{formatSeconds(usage.usedSeconds)}</strong> used
      </span>
    );
  }
  const empty = usage.remainingSeconds < 7 / 30;
  return (
    <span className="app-quota" data-empty={empty ? "" : undefined} title={`Resets ${usage.periodEnd.slice(0, 10)}`}>
      <strong>{formatSeconds(usage.remainingSeconds)}</strong> of {formatSeconds(usage.limitSeconds)} left
    </span>
  );
}

const terms = (
  <>
    <p>
      OpenV turns your prompt into a short video with an AI model (Mochi&nbsp;1). Before you start, please agree to a
      few ground rules:
    </p>
    <ul>
      <li>Do not ask for illegal, hateful or sexual content, or for real people without their consent.</li>
      <li>Generated videos may be inaccurate or surprising; check them before you share them.</li>
      <li>
        Each video counts against your allowance (monthly seconds or credits); a failed or unfinished deleted video is
        refunded.
      </li>
    </ul>
  </>
);

/** The whole page: header with the quota, then the studio behind the access and terms gates. */
export function App({ client }: { client: OpenVClient }) {
  return (
    <OpenVProvider client={client}>
      <header className="app-header">
        <a className="app-brand" href="/">
          <span className="app-logo" aria-hidden="true">
            ▶
          </span>
          OpenV
        </a>
        <div className="app-header-end">
          <ThemePicker />
          <QuotaBadge />
        </div>
      </header>
      <main className="app-main">
        <section className="app-intro">
          <h1>Turn a sentence into a video</h1>
          <p>Describe a scene, pick a length, and watch it render. Finished videos play right here.</p>
        </section>
        {/* Invite-only servers (OPENV_ACCESS=invite) ask for a voucher code first; open ones pass straight through. */}
        <AccessGate>
          <TermsGate terms={terms} title="Before you start">
            <div className="app-studio">
              <div className="app-compose">
                <h2>New video</h2>
                <GenerateForm />
              </div>
              <div className="app-library">
                <h2>Your videos</h2>
                <VideoGallery />
              </div>
            </div>
          </TermsGate>
        </AccessGate>
      </main>
      <footer className="app-footer">
        Built with <code>@openv/react</code> and <code>@openv/sdk</code>.
      </footer>
    </OpenVProvider>
  );
}
