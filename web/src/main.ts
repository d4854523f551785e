// The UI's entry point: the header's search box and the routes.

import "./style.css";
import { entityPath } from "./format";
import { navigate, route, setNotFound, start } from "./router";
import { Autocomplete } from "./search";
import { homeView } from "./views/home";
import { notFoundView } from "./views/notfound";

route("/", async () => homeView);
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
