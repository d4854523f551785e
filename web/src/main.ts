// The UI's entry point: the header's search box and the routes. The home, entity and paths views
// are small and part of the first bundle; the network (cytoscape) and the workbench (YASQE/YASR)
// are loaded when first opened.

import "./style.css";
import { entityPath } from "./format";
import { navigate, route, setNotFound, start } from "./router";
import { Autocomplete } from "./search";
import { entityView } from "./views/entity";
import { homeView } from "./views/home";
import { notFoundView } from "./views/notfound";
import { pathsView } from "./views/paths";

route("/", async () => homeView);
route("/entity/:id", async () => entityView);
route("/network", async () => (await import("./views/network")).networkView, "network");
route("/paths", async () => pathsView, "paths");
route("/workbench", async () => (await import("./views/workbench")).workbenchView, "workbench");
setNotFound(notFoundView);

const search = document.getElementById("search") as HTMLInputElement;
new Autocomplete({
  input: search,
  container: document.getElementById("search-box") as HTMLElement,
  bindForm: true,
  limit: 8,
  onSelect: (hit) => {
    search.value = "";
    navigate(entityPath(hit.id));
  },
});

// "/" anywhere but in a text field jumps to the search box.
document.addEventListener("keydown", (e) => {
  const target = e.target as HTMLElement;
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  if (target.closest("input, textarea, select, [contenteditable], .CodeMirror")) return;
  e.preventDefault();
  search.focus();
});

start();
