/* The declaration section page (applications/applicant/section.html).
 *
 * - "添加一条" adds a row in the browser by copying <template id="row-template">
 *   (without JavaScript the button posts the form and the server adds the row).
 * - Autosave: 1.5 s after the last change the form is posted to its autosave URL, which
 *   stores it as typed and answers {version, errors:[{field, message, input}], warnings (the
 *   same shape: possible mistakes, shown but never blocking), evidence_missing, ids, saved_at}.
 *   409 stale_version: another tab or device saved first; the conflict banner is shown and
 *   autosaving stops (nothing is overwritten without the person choosing so).
 *   401/403: the session timed out; what was typed is kept in localStorage and put back
 *   into the form when the page is opened again after logging in.
 * - Rows ticked "删除此条" are removed only by the 保存 button, never by autosave.
 * - A button pressed while an autosave is on its way waits for its answer (and the new
 *   version it brings) before posting, so that it is not taken for a change made elsewhere.
 * No inline scripts or styles (CSP script-src 'self'; style-src 'self').
 */
(function () {
  "use strict";

  var form = document.getElementById("section-form");
  if (!form) {
    return;
  }
  var autosaveUrl = form.getAttribute("data-autosave-url");
  var draftKey = form.getAttribute("data-draft-key");
  var sectionKey = form.getAttribute("data-section");
  var versionInput = document.getElementById("id_version");
  var currentVersionInput = document.getElementById("id_current_version");
  var statusEl = document.getElementById("autosave-status");
  var conflictBanner = document.getElementById("conflict-banner");
  var conflictMessage = document.getElementById("conflict-message");
  var timeoutNotice = document.getElementById("timeout-notice");
  var draftNotice = document.getElementById("draft-notice");
  var draftNoticeText = document.getElementById("draft-notice-text");
  var draftRestore = document.getElementById("draft-restore");
  var draftDiscard = document.getElementById("draft-discard");
  var formErrors = document.getElementById("form-errors");
  var formWarnings = document.getElementById("form-warnings");
  var savedWithErrors = document.getElementById("saved-with-errors");
  var rowsEl = document.getElementById("rows");
  var template = document.getElementById("row-template");
  var addButton = document.getElementById("add-row");

  var DELAY = 1500;
  var RETRY = 10000;
  var SKIP = { csrfmiddlewaretoken: 1, version: 1, current_version: 1, action: 1 };

  var timer = null;
  var saving = null; // the running save (a Promise) or null
  var again = false; // a change arrived while saving
  var dirty = false; // typed since the last successful save
  var stopped = !conflictBanner.hidden; // a conflict (or a refusal) stops autosaving
  var offline = false; // the session timed out: keep drafts in the browser only
  var submitting = false;
  var waitingToSubmit = false; // a button was pressed during an autosave: posted after it

  // --- helpers ---------------------------------------------------------------------------

  function setStatus(text) {
    if (statusEl) {
      statusEl.textContent = text;
    }
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  function controls() {
    var out = [];
    var els = form.elements;
    for (var i = 0; i < els.length; i += 1) {
      var el = els[i];
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "submit" ||
          el.type === "button") {
        continue;
      }
      out.push(el);
    }
    return out;
  }

  function rowIndices() {
    var out = [];
    if (!rowsEl) {
      return out;
    }
    var items = rowsEl.querySelectorAll(".row-item");
    for (var i = 0; i < items.length; i += 1) {
      out.push(items[i].getAttribute("data-row-index"));
    }
    return out;
  }

  function snapshot() {
    var fields = [];
    controls().forEach(function (el) {
      if (el.type === "checkbox") {
        if (el.checked) {
          fields.push([el.name, el.value || "on"]);
        }
      } else {
        fields.push([el.name, el.value]);
      }
    });
    return { base: versionInput.value, at: Date.now(), rows: rowIndices(), fields: fields };
  }

  function writeDraft() {
    var s = storage();
    if (!s || !draftKey) {
      return;
    }
    try {
      s.setItem(draftKey, JSON.stringify(snapshot()));
    } catch (e) {
      /* storage full or refused: nothing more we can do here */
    }
  }

  function readDraft() {
    var s = storage();
    if (!s || !draftKey) {
      return null;
    }
    try {
      var raw = s.getItem(draftKey);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  function clearDraft() {
    var s = storage();
    if (s && draftKey) {
      try {
        s.removeItem(draftKey);
      } catch (e) {
        /* ignore */
      }
    }
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function clock(date) {
    return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }

  // --- rows ------------------------------------------------------------------------------

  function nextIndex() {
    var max = -1;
    rowIndices().forEach(function (i) {
      var n = parseInt(i, 10);
      if (!isNaN(n) && n > max) {
        max = n;
      }
    });
    return max + 1;
  }

  function addRow(index) {
    if (!rowsEl || !template) {
      return null;
    }
    if (index === undefined || index === null) {
      index = nextIndex();
    }
    var number = rowsEl.querySelectorAll(".row-item").length + 1;
    var html = template.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, String(number));
    rowsEl.insertAdjacentHTML("beforeend", html);
    var items = rowsEl.querySelectorAll(".row-item");
    return items[items.length - 1];
  }

  if (addButton && template) {
    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      var row = addRow();
      if (row) {
        var first = row.querySelector("input:not([type=hidden]):not([type=checkbox]), select");
        if (first) {
          first.focus();
        }
      }
    });
  }

  // --- errors from the server -------------------------------------------------------------

  function clearErrors() {
    var old = form.querySelectorAll(
      "[data-field] > .field-error, .row-item > .field-error, " +
      "[data-field] > .field-warning, .row-item > .field-warning"
    );
    for (var i = 0; i < old.length; i += 1) {
      old[i].parentNode.removeChild(old[i]);
    }
    var marked = form.querySelectorAll("[data-field].has-error");
    for (var j = 0; j < marked.length; j += 1) {
      marked[j].classList.remove("has-error");
    }
    var invalid = form.querySelectorAll("[data-field] [aria-invalid]");
    for (var k = 0; k < invalid.length; k += 1) {
      invalid[k].removeAttribute("aria-invalid");
    }
  }

  function showWarnings(warnings) {
    var loose = [];
    warnings.forEach(function (warning) {
      var box = warning.input ? form.querySelector('[data-field="' + warning.input + '"]') : null;
      if (!box) {
        loose.push(warning.message);
        return;
      }
      var p = document.createElement("p");
      p.className = "field-warning";
      p.textContent = "请核对：" + warning.message;
      box.appendChild(p);
    });
    if (formWarnings) {
      var list = formWarnings.querySelector("ul");
      list.textContent = "";
      loose.forEach(function (message) {
        var li = document.createElement("li");
        li.textContent = message;
        list.appendChild(li);
      });
      formWarnings.hidden = loose.length === 0;
    }
  }

  function showErrors(errors, warnings, evidenceMissing) {
    clearErrors();
    showWarnings(warnings || []);
    var loose = [];
    errors.forEach(function (err) {
      var box = err.input ? form.querySelector('[data-field="' + err.input + '"]') : null;
      if (!box) {
        loose.push(err.message);
        return;
      }
      var p = document.createElement("p");
      p.className = "field-error";
      p.id = "id_" + err.input + "-error";
      p.textContent = err.message;
      box.appendChild(p);
      box.classList.add("has-error");
      var input = box.querySelector("input, select");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        var described = (input.getAttribute("aria-describedby") || "").split(" ");
        if (described.indexOf(p.id) < 0) {
          described.push(p.id);
        }
        input.setAttribute("aria-describedby", described.join(" ").trim());
      }
    });
    if (formErrors) {
      var list = formErrors.querySelector("ul");
      list.textContent = "";
      loose.forEach(function (message) {
        var li = document.createElement("li");
        li.textContent = message;
        list.appendChild(li);
      });
      formErrors.hidden = loose.length === 0;
    }
    if (savedWithErrors && errors.length === 0) {
      savedWithErrors.hidden = true;
    }
    markSection(errors.length, evidenceMissing || 0);
  }

  // The section list's mark: "!" problems, "待传材料" evidence still to upload, else ✓ (the
  // section has just been saved).
  function markSection(count, evidenceMissing) {
    var link = document.querySelector('.section-nav a[data-section="' + sectionKey + '"]');
    if (!link) {
      return;
    }
    var marks = link.querySelectorAll(".mark, .mark-hint");
    for (var i = 0; i < marks.length; i += 1) {
      link.removeChild(marks[i]);
    }
    var mark = document.createElement("span");
    mark.setAttribute("aria-hidden", "true");
    var hint = document.createElement("span");
    hint.className = "visually-hidden mark-hint";
    if (count > 0 || evidenceMissing > 0) {
      if (count > 0) {
        mark.className = "mark mark-error";
        mark.textContent = "!";
        hint.textContent = "（有 " + count + " 处需要修改）";
      } else {
        mark.className = "mark mark-evidence";
        mark.textContent = "待传材料";
        hint.textContent = "（有 " + evidenceMissing + " 条尚未上传证明材料）";
      }
      link.appendChild(document.createTextNode(" "));
      link.appendChild(mark);
      link.appendChild(hint);
    } else {
      mark.className = "mark mark-done";
      mark.textContent = "✓";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(mark);
    }
  }

  function applyIds(ids) {
    Object.keys(ids || {}).forEach(function (index) {
      var input = form.querySelector('input[name="rows-' + index + '-id"]');
      if (input && !input.value) {
        input.value = ids[index];
      }
    });
  }

  // --- saving ------------------------------------------------------------------------------

  function timedOut() {
    offline = true;
    writeDraft();
    if (timeoutNotice) {
      timeoutNotice.hidden = false;
    }
    setStatus("登录已超时，您填写的内容已保存在本机浏览器中，重新登录后回到本页将自动恢复。");
  }

  function conflict(body) {
    stopped = true;
    if (body && body.current_version !== undefined && currentVersionInput) {
      currentVersionInput.value = String(body.current_version);
    }
    if (conflictMessage) {
      conflictMessage.textContent = "本页填写的内容尚未保存，仍保留在下面。";
    }
    conflictBanner.hidden = false;
    setStatus("自动保存已暂停：该申报已在其他页面或设备上修改。");
    conflictBanner.scrollIntoView({ block: "start" });
  }

  function payload() {
    var data = new FormData(form);
    // Removing a row (and its files) waits for the 保存 button.
    var names = [];
    data.forEach(function (value, name) {
      if (/^rows-\d+-remove$/.test(name)) {
        names.push(name);
      }
    });
    names.forEach(function (name) {
      data.delete(name);
    });
    data.set("version", versionInput.value);
    return data;
  }

  function save() {
    if (stopped || offline || submitting) {
      return Promise.resolve();
    }
    if (saving) {
      again = true;
      return saving;
    }
    timer = null;
    var sentVersion = versionInput.value;
    writeDraft();
    setStatus("正在自动保存…");
    saving = fetch(autosaveUrl, {
      method: "POST",
      body: payload(),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || response.status === 401 || response.status === 403 ||
            type.indexOf("application/json") < 0) {
          timedOut();
          return;
        }
        return response.json().then(function (body) {
          if (response.ok) {
            if (versionInput.value === sentVersion) {
              versionInput.value = String(body.version);
            }
            applyIds(body.ids);
            showErrors(body.errors || [], body.warnings || [], body.evidence_missing || 0);
            if (!again) {
              dirty = false;
              clearDraft();
            }
            var text = "已自动保存 " + (body.saved_at || clock(new Date()));
            if (body.errors && body.errors.length) {
              text += "（有 " + body.errors.length + " 处需要修改）";
            } else if (body.warnings && body.warnings.length) {
              text += "（有 " + body.warnings.length + " 处请核对）";
            }
            setStatus(text);
          } else if (response.status === 409 && body.code === "stale_version") {
            conflict(body);
          } else {
            stopped = response.status === 409 || response.status === 404;
            setStatus("自动保存未成功：" + (body.message || response.status));
          }
        });
      })
      .catch(function () {
        setStatus("自动保存未成功（网络连接问题），内容已暂存在本机浏览器，稍后自动重试。");
        window.setTimeout(schedule, RETRY);
      })
      .then(function () {
        saving = null;
        if (again) {
          again = false;
          schedule();
        }
      });
    return saving;
  }

  // Save now (waiting for a save already running, then saving what came after it).
  function flush() {
    function cancel() {
      if (timer) {
        window.clearTimeout(timer);
        timer = null;
      }
    }
    cancel();
    return save().then(function () {
      cancel();
      if (dirty && !stopped && !offline) {
        return save();
      }
      return undefined;
    });
  }

  function schedule() {
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(save, DELAY);
  }

  function changed(event) {
    var el = event.target;
    if (!el || el.form !== form || !el.name || SKIP[el.name] || el.type === "file") {
      return;
    }
    dirty = true;
    if (offline || stopped) {
      if (offline) {
        writeDraft();
      }
      return;
    }
    if (/^rows-\d+-remove$/.test(el.name)) {
      setStatus(el.checked ? "标记删除的条目将在点击“保存”后删除。" : "");
      return;
    }
    schedule();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // Marks that typing is now watched (the script is deferred; browser tests wait for it).
  form.setAttribute("data-autosave-ready", "");

  form.addEventListener("submit", function (event) {
    // An autosave on its way has (or soon will have) moved the server to a new version;
    // posting the version this page still holds would be refused as a conflict with
    // "another page". Wait for its answer (which updates the version), then post again
    // with the button that was pressed.
    if (saving && !submitting && typeof form.requestSubmit === "function") {
      event.preventDefault();
      if (waitingToSubmit) {
        return; // pressed again while waiting: one post is enough
      }
      waitingToSubmit = true;
      var submitter = event.submitter || null;
      setStatus("正在保存…");
      saving.then(function () {
        waitingToSubmit = false;
        form.requestSubmit(submitter);
      });
      return;
    }
    // The full post carries everything typed: the browser copy is no longer needed, and a
    // pending autosave must not race it.
    submitting = true;
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    clearDraft();
    dirty = false;
  });

  // Uploading leaves the page: save what was typed first.
  var uploads = document.querySelectorAll("form.upload-form");
  for (var u = 0; u < uploads.length; u += 1) {
    uploads[u].addEventListener("submit", function (event) {
      var upload = event.target;
      if (offline) {
        event.preventDefault();
        timeoutNotice.hidden = false;
        return;
      }
      if (!(dirty || saving)) {
        return;
      }
      event.preventDefault();
      if (stopped) {
        setStatus("请先处理上方的修改冲突（或点击“保存”），再上传材料。");
        conflictBanner.scrollIntoView({ block: "start" });
        return;
      }
      setStatus("正在保存填写的内容，然后上传…");
      flush().then(function () {
        if (!dirty && !stopped && !offline) {
          upload.submit();
        }
      });
    });
  }

  // Following a link (another section, the self-assessment) saves what was typed first.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey ||
        event.metaKey || event.shiftKey || event.altKey || link.target ||
        link.hasAttribute("download") || link.id === "conflict-reload") {
      return;
    }
    if (!dirty || stopped || offline || submitting) {
      return;
    }
    event.preventDefault();
    setStatus("正在保存…");
    flush().then(function () {
      if (!dirty && !stopped && !offline) {
        window.location.href = link.href;
      }
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting && (stopped || offline || saving || timer)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- a draft kept in the browser -----------------------------------------------------------

  function restore(draft) {
    var values = {};
    (draft.fields || []).forEach(function (pair) {
      values[pair[0]] = pair[1];
    });
    var present = rowIndices();
    (draft.rows || []).forEach(function (index) {
      if (present.indexOf(String(index)) < 0) {
        addRow(index);
      }
    });
    controls().forEach(function (el) {
      if (el.type === "checkbox") {
        el.checked = Object.prototype.hasOwnProperty.call(values, el.name);
      } else if (Object.prototype.hasOwnProperty.call(values, el.name)) {
        el.value = values[el.name];
      }
    });
    dirty = true;
  }

  function initDraft() {
    var draft = readDraft();
    if (!draft || !draftNotice || stopped) {
      return;
    }
    if (String(draft.base) === versionInput.value) {
      restore(draft);
      draftNoticeText.textContent =
        "已从本机浏览器恢复您上次未保存的内容（" + clock(new Date(draft.at)) +
        "），请核对后点击“保存”。";
      draftNotice.hidden = false;
      setStatus("本页内容来自本机浏览器，尚未保存。");
      return;
    }
    draftNoticeText.textContent =
      "本机浏览器中有一份未保存的内容（" + new Date(draft.at).toLocaleString() +
      "），但申报此后已在其他页面或设备上更新。恢复它将替换本页显示的内容。";
    draftRestore.hidden = false;
    draftNotice.hidden = false;
  }

  if (draftRestore) {
    draftRestore.addEventListener("click", function () {
      var draft = readDraft();
      if (draft) {
        restore(draft);
      }
      draftRestore.hidden = true;
      draftNoticeText.textContent = "已恢复本机浏览器中的内容，请核对后点击“保存”。";
    });
  }
  if (draftDiscard) {
    draftDiscard.addEventListener("click", function () {
      clearDraft();
      dirty = false;
      window.location.reload();
    });
  }

  initDraft();
})();
