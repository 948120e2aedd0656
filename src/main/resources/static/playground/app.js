"use strict";
// Talks to GET /v1/runtimes and POST /v1/runs (as server-sent events) only; every value shown is written with
// textContent, never as HTML.
const form = document.getElementById("run-form");
const statusLine = document.getElementById("status");
const output = document.getElementById("output");
const runButton = document.getElementById("run");
const apiKey = document.getElementById("apiKey");
const runtime = document.getElementById("runtime");
// kept for this tab only: a key is a secret, and the page is often opened on a shared machine
apiKey.value = sessionStorage.getItem("sandpod.apiKey") ?? "";
apiKey.addEventListener("change", () => {
  sessionStorage.setItem("sandpod.apiKey", apiKey.value.trim());
  loadRuntimes();
});

function headers(accept) {
  const key = apiKey.value.trim();
  const all = { "Content-Type": "application/json", "Accept": accept };
  return key === "" ? all : { ...all, "X-API-Key": key };
}

function numberOrUndefined(id) {
  const value = document.getElementById(id).value.trim();
  return value === "" ? undefined : Number(value);
}

function show(text, className) {
  statusLine.textContent = text;
  statusLine.className = className;
}

async function loadRuntimes() {
  try {
    const response = await fetch("/v1/runtimes", { headers: headers("application/json") });
    if (!response.ok) {
      return; // a key is needed first: the default runtime stays selected
    }
    const chosen = runtime.value;
    runtime.replaceChildren(...(await response.json()).runtimes.map((known) => {
      const option = document.createElement("option");
      option.value = known.name;
      option.textContent = known.pythonVersion ? `${known.name} (Python ${known.pythonVersion})` : known.name;
      return option;
    }));
    if ([...runtime.options].some((option) => option.value === chosen)) {
      runtime.value = chosen;
    }
  } catch (error) {
    // the list is a convenience: a run still names the default
  }
}

// Server-sent events read from a fetch body: EventSource cannot POST, nor send the API key.
async function* events(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffered += value;
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const event = { name: "message", data: "" };
      for (const line of buffered.slice(0, end).split("\n")) {
        const colon = line.indexOf(":");
        const field = line.slice(0, colon);
        const text = line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") {
          event.name = text;
        } else if (field === "data") {
          event.data += text;
        }
      }
      buffered = buffered.slice(end + 2);
      if (event.data !== "") {
        yield { name: event.name, data: JSON.parse(event.data) };
      }
    }
  }
}

function showResult(result) {
  show(`${result.status} · exit ${result.exitCode ?? "–"} · ${result.timeMs} ms · ${result.backend}`
    + (result.detail ? ` · ${result.detail}` : ""), result.status === "ok" ? "status ok" : "status problem");
  output.textContent = result.output;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  runButton.disabled = true;
  show("queued…", "status");
  output.textContent = "";
  const body = {
    code: document.getElementById("code").value,
    input: document.getElementById("input").value,
    timeoutMs: numberOrUndefined("timeoutMs"),
    memoryMb: numberOrUndefined("memoryMb"),
    runtime: runtime.value,
  };
  try {
    const response = await fetch("/v1/runs", {
      method: "POST",
      headers: headers("text/event-stream"),
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const problem = await response.json();
      show(`${response.status} ${problem.title}`, "status problem");
      output.textContent = problem.detail;
      return;
    }
    for await (const { name, data } of events(response.body)) {
      if (name === "status") {
        show(`${data.status}…`, "status");
      } else if (name === "stdout" || name === "stderr") {
        output.append(data.text); // a text node: the output is never parsed as HTML
      } else if (name === "result") {
        showResult(data);
      }
    }
  } catch (error) {
    show("the service could not be reached", "status problem");
  } finally {
    runButton.disabled = false;
  }
});

loadRuntimes();
