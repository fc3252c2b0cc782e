// The camgate API explorer: a token field, a query, a Run button, the JSON answer and the
// schema's root fields from an introspection query. Served from camgate itself (CSP: 'self').
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const endpoint = "/api/graphql";

  const INTROSPECTION = `{
    __schema {
      queryType { name }
      mutationType { name }
      types {
        name kind
        fields { name description args { name type { ...T } } type { ...T } }
      }
    }
  }
  fragment T on __Type { name kind ofType { name kind ofType { name kind ofType { name kind } } } }`;

  function setBusy(busy, text) {
    $("run").disabled = busy;
    $("load-schema").disabled = busy;
    $("status").textContent = text || "";
  }

  async function call(query, variables) {
    const token = $("token").value.trim();
    if (!token) {
      throw new Error("Paste a token first.");
    }
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
      body: JSON.stringify({ query: query, variables: variables }),
      credentials: "omit",
      cache: "no-store",
    });
    let body;
    try {
      body = await response.json();
    } catch (e) {
      body = { error: "the server did not answer with JSON" };
    }
    return { status: response.status, body: body };
  }

  function show(status, body) {
    const out = $("result");
    out.textContent = (status ? "HTTP " + status + "\n" : "") + JSON.stringify(body, null, 2);
    out.classList.toggle("error", !!(body && (body.errors || body.error)));
  }

  async function run() {
    let variables = null;
    const raw = $("variables").value.trim();
    if (raw) {
      try {
        variables = JSON.parse(raw);
      } catch (e) {
        show(0, { error: "Variables are not valid JSON: " + e.message });
        return;
      }
    }
    setBusy(true, "Running…");
    try {
      const answer = await call($("query").value, variables);
      show(answer.status, answer.body);
      setBusy(false, "HTTP " + answer.status);
    } catch (e) {
      show(0, { error: e.message });
      setBusy(false, "");
    }
  }

  function typeName(t) {
    if (!t) return "";
    if (t.kind === "NON_NULL") return typeName(t.ofType) + "!";
    if (t.kind === "LIST") return "[" + typeName(t.ofType) + "]";
    return t.name;
  }

  function addToQuery(field) {
    const area = $("query");
    area.value = "{\n  " + field + "\n}";
    area.focus();
  }

  function renderRoot(title, type) {
    const box = document.createElement("div");
    const heading = document.createElement("h3");
    heading.textContent = title;
    box.appendChild(heading);
    const list = document.createElement("ul");
    for (const f of type.fields || []) {
      const item = document.createElement("li");
      const name = document.createElement("button");
      name.type = "button";
      name.textContent = f.name;
      name.addEventListener("click", () => addToQuery(f.name));
      const sig = document.createElement("span");
      sig.className = "type";
      const args = (f.args || []).map((a) => a.name + ": " + typeName(a.type)).join(", ");
      sig.textContent = (args ? "(" + args + ")" : "") + ": " + typeName(f.type);
      item.appendChild(name);
      item.appendChild(sig);
      if (f.description) {
        const d = document.createElement("span");
        d.className = "desc";
        d.textContent = f.description;
        item.appendChild(d);
      }
      list.appendChild(item);
    }
    box.appendChild(list);
    return box;
  }

  async function loadSchema() {
    setBusy(true, "Loading schema…");
    try {
      const answer = await call(INTROSPECTION, null);
      if (!answer.body.data) {
        show(answer.status, answer.body);
        setBusy(false, "HTTP " + answer.status);
        return;
      }
      const schema = answer.body.data.__schema;
      const byName = {};
      for (const t of schema.types) byName[t.name] = t;
      const target = $("schema");
      target.textContent = "";
      target.appendChild(renderRoot("Queries", byName[schema.queryType.name]));
      if (schema.mutationType) {
        target.appendChild(renderRoot("Mutations", byName[schema.mutationType.name]));
      }
      setBusy(false, "Schema loaded");
    } catch (e) {
      show(0, { error: e.message });
      setBusy(false, "");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("run").addEventListener("click", run);
    $("load-schema").addEventListener("click", loadSchema);
    $("query").addEventListener("keydown", (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") run();
    });
  });
})();
