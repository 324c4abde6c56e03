// The tokens view (#/tokens), for admins: the tokens the controller knows
// (never the tokens themselves, which it keeps only hashed), a form that
// issues one and shows it once, and a revoke button per token. Everything
// here is marked data-needs="admin", and the controller checks the role
// again. GET /tokens, POST /tokens, DELETE /tokens/{id}.
"use strict";

(function () {
  // The choices of "expires", in seconds; 0 is never.
  const EXPIRES = [0, 86400, 7 * 86400, 30 * 86400, 90 * 86400, 365 * 86400];

  Pod.view("tokens", {
    mount(root) {
      const { t, h, fmt } = Pod;
      const msg = h("p", { class: "note", role: "status" });
      const fresh = h("div", { class: "new-token", hidden: true });

      function ms(v) {
        return Pod.isNum(v) && v > 0 ? fmt.datetime(v) : null;
      }

      function say(text, ok) {
        Pod.setText(msg, text);
        msg.className = "note " + (ok ? "ok" : "error");
      }

      function failed(e) {
        say(e.status === 403 ? t("error.forbidden", { error: e.message }) :
          t("tokens.failed", { error: e.message }), false);
      }

      async function revoke(tok, button) {
        button.disabled = true;
        try {
          await Pod.api("/tokens/" + encodeURIComponent(tok.id), { method: "DELETE" });
          say(t("tokens.revoked_msg", { id: tok.id, user: tok.user }), true);
        } catch (e) {
          failed(e);
        }
        await Pod.refreshNow();
      }

      const list = Pod.table([
        { head: "tokens.id", cls: "num", text: (k) => String(k.id) },
        { head: "tokens.user", text: (k) => k.user },
        { head: "tokens.role", text: (k) => Pod.tOr("role." + k.role, k.role) },
        { head: "tokens.created", text: (k) => ms(k.created_ms) || "–" },
        { head: "tokens.expires", text: (k) => ms(k.expires_ms) || t("tokens.never") },
        { head: "tokens.revoked", text: (k) => ms(k.revoked_ms) || "–" },
        { head: "tokens.last_used", text: (k) => ms(k.last_used_ms) || t("tokens.never") },
        { head: "tokens.comment", text: (k) => k.comment || "" },
        { head: "tokens.action", render(td, k, isNew) {
          if (isNew) {
            const b = h("button", { type: "button", class: "revoke", text: t("tokens.revoke"),
              "aria-label": t("tokens.revoke_label", { id: k.id, user: k.user }) });
            b.addEventListener("click", () => revoke(td._tok, b));
            td.appendChild(b);
          }
          td._tok = k;
          td.firstChild.hidden = !!k.revoked_ms;
        } },
      ], (k) => k.id, { empty: "tokens.none", row(tr, k) {
        tr.dataset.token = String(k.id);
        tr.dataset.revoked = k.revoked_ms ? "1" : "0";
      } });

      const user = h("input", { type: "text", id: "new-user", required: true,
        maxlength: "64", autocomplete: "off" });
      const role = h("select", { id: "new-role" }, ["viewer", "operator", "admin"].map((r) =>
        h("option", { value: r, text: Pod.tOr("role." + r, r) })));
      const expires = h("select", { id: "new-expires" }, EXPIRES.map((s) =>
        h("option", { value: String(s), text: s ? fmt.duration(s) : t("tokens.never") })));
      const comment = h("input", { type: "text", id: "new-comment", autocomplete: "off" });
      const form = h("form", { class: "toolbar token-form" },
        h("label", {}, t("tokens.user"), " ", user),
        h("label", {}, t("tokens.role"), " ", role),
        h("label", {}, t("tokens.expires"), " ", expires),
        h("label", {}, t("tokens.comment"), " ", comment),
        h("button", { type: "submit", text: t("tokens.create") }));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const body = { user: user.value.trim(), role: role.value };
        if (Number(expires.value) > 0) {
          body.expires_s = Number(expires.value);
        }
        if (comment.value.trim()) {
          body.comment = comment.value.trim();
        }
        try {
          const r = await Pod.api("/tokens", { method: "POST", body });
          // shown once: the controller cannot show it again
          fresh.replaceChildren(
            h("p", { text: t("tokens.new_once", { user: r.user, role: Pod.tOr("role." + r.role, r.role) }) }),
            h("code", { id: "new-token", text: r.token }));
          fresh.hidden = false;
          say("", true);
          user.value = comment.value = "";
        } catch (e) {
          failed(e);
        }
        await Pod.refreshNow();
      });

      root.appendChild(h("section", { class: "view view-tokens", "data-needs": "admin" },
        h("h1", { text: t("tokens.title") }),
        h("p", { class: "sub", text: t("tokens.explain") }),
        h("h2", { text: t("tokens.create_title") }),
        form, fresh, msg,
        h("h2", { text: t("tokens.list_title") }),
        list.el));

      return {
        title: t("tokens.title"),
        async refresh() {
          if (!Pod.can("admin")) {
            return;
          }
          const r = await Pod.api("/tokens");
          list.update(r.tokens || []);
        },
      };
    },
  });
})();
