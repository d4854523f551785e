import { h } from "../dom";
import { setTitle, type RouteContext } from "../router";

export function notFoundView(ctx: RouteContext): void {
  setTitle("Page not found");
  ctx.root.append(
    h("h1", null, "Page not found"),
    h("p", null, "Nothing lives at ", h("code", null, ctx.path), ". Search for a company above, or start from the ", h("a", { href: "/" }, "home page"), "."),
  );
}
