"use strict";
// Talks to POST /v1/runs only; every value shown is written with textContent, never as HTML.
const form = document.getElementById("run-form");
const statusLine = document.getElementById("status");
const output = document.getElementById("output");
const runButton = document.getElementById("run");
const apiKey = document.getElementById("apiKey");
// kept for this tab only: a key is a secret, and the page is often opened on a shared machine
apiKey.value = sessionStorage.getItem("sandpod.apiKey") ?? "";
apiKey.addEventListener("change", () => sessionStorage.setItem("sandpod.apiKey", apiKey.value.trim()));

function numberOrUndefined(id) {
  const value = document.getElementById(id).value.trim();
  return value === "" ? undefined : Number(value);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  runButton.disabled = true;
  statusLine.textContent = "running…";
  statusLine.className = "status";
  output.textContent = "";
  const body = {
    code: document.getElementById("code").value,
    input: document.getElementById("input").value,
    timeoutMs: numberOrUndefined("timeoutMs"),
    memoryMb: numberOrUndefined("memoryMb"),
  };
  try {
    const response = await fetch("/v1/runs", {
      method: "POST",
      headers: apiKey.value.trim() === ""
        ? { "Content-Type": "application/json" }
        : { "Content-Type": "application/json", "X-API-Key": apiKey.value.trim() },
      body: JSON.stringify(body),
    });
    const result = await response.json();
    if (response.ok) {
      statusLine.textContent = `${result.status} · exit ${result.exitCode ?? "–"} · ${result.timeMs} ms · ${result.backend}`
        + (result.detail ? ` · ${result.detail}` : "");
      statusLine.className = result.status === "ok" ? "status ok" : "status problem";
      output.textContent = result.output;
    } else {
      statusLine.textContent = `${response.status} ${result.title}`;
      statusLine.className = "status problem";
      output.textContent = result.detail;
    }
  } catch (error) {
    statusLine.textContent = "the service could not be reached";
    statusLine.className = "status problem";
  } finally {
    runButton.disabled = false;
  }
});
