/* 百色市科技特派员工作看板: the coverage map, the unserved villages and the plan's targets.
 *
 * Vanilla JS over the vendored Leaflet (static/dashboard/vendor/leaflet); no other dependency and no
 * request leaves the service unless a basemap tile URL is configured (DASHBOARD_TILE_URL).
 * The page's state is published as window.dashboardState and as data- attributes on #map, so that a
 * browser test (tests/dashboard/test_browser.py) can wait for the map to render and count it.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("dashboard-config").textContent);

  var LEVEL_NAMES = { county: "县区", township: "乡镇", village: "村" };
  var METRICS = {
    trainees: "培训人次", dispatches: "选派人次", checkins: "有效签到",
    trainings: "培训场次", problems_open: "待解决问题", problems_resolved: "已解决问题"
  };
  var FIGURES = ["checkins", "dispatches", "trainings", "trainees", "problems_open", "problems_resolved"];
  var SOURCES = {
    boundary: "行政区划边界",
    derived_voronoi: "推算范围（按所辖村的推算位置划分，非实测边界）",
    generated: "推算位置（非实测坐标，仅示意）",
    surveyed: "实测位置",
    seat: "政府驻地",
    centroid: "几何中心",
    none: "无位置"
  };
  // ColorBrewer YlGn, light to dark; areas with nothing in the window are drawn apart, in grey.
  var PALETTE = ["#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837"];
  var ZERO = "#eceae4";
  var SERVED = "#1f9d55";
  var UNSERVED = "#d64545";
  // The picked team's service area, drawn over the map at every level.
  var TEAM = "#7b3fb5";

  // Unserved villages listed at a time: a county has hundreds, the city close to two thousand.
  var PAGE_SIZE = 50;

  var state = (window.dashboardState = {
    level: config.level, metric: "trainees", from: config.plan.from, to: config.plan.to,
    ready: false, error: null, featureCount: 0, missingGeometry: 0,
    villageCount: 0, unservedCount: 0, unservedPage: 0, targetsCount: 0, fits: 0,
    team: null, teamName: null, teamHighlighted: 0
  });

  var $ = function (id) { return document.getElementById(id); };
  var mapEl = $("map");
  var fmt = function (n) { return Number(n || 0).toLocaleString("zh-CN"); };

  // The page's Content-Security-Policy refuses inline style attributes in markup; colours and widths
  // are carried as data- attributes and applied through the DOM (which the policy allows).
  function applyStyles(root) {
    root.querySelectorAll("[data-color]").forEach(function (el) { el.style.background = el.dataset.color; });
    root.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
  }

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // -- data --------------------------------------------------------------------------------------

  var cache = new Map();

  function fetchJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) {
        window.location.assign(config.urls.login + "?next=" + encodeURIComponent(window.location.pathname));
        throw new Error("登录已失效，请重新登录。");
      }
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) {
          var err = (body && body.error) || {};
          var fields = Object.keys(err.fields || {}).map(function (k) { return err.fields[k]; }).join("；");
          throw new Error((err.message || "加载失败（" + r.status + "）") + (fields ? " " + fields : ""));
        }
        return body;
      });
    });
  }

  function coverage(level) {
    var key = [level, state.from, state.to].join("|");
    if (!cache.has(key)) {
      var q = new URLSearchParams({ level: level, from: state.from, to: state.to });
      var p = fetchJSON(config.urls.coverage + "?" + q.toString());
      p.catch(function () { cache.delete(key); });
      cache.set(key, p);
    }
    return cache.get(key);
  }

  // The picked team's service area and figures in the window (null when no team is picked).
  function teamWork() {
    if (!state.team) return Promise.resolve(null);
    var key = ["team", state.team, state.from, state.to].join("|");
    if (!cache.has(key)) {
      var q = new URLSearchParams({ team: state.team, from: state.from, to: state.to });
      var p = fetchJSON(config.urls.team + "?" + q.toString());
      p.catch(function () { cache.delete(key); });
      cache.set(key, p);
    }
    return cache.get(key);
  }

  // -- map ---------------------------------------------------------------------------------------

  var map = L.map(mapEl, { zoomSnap: 0.25, attributionControl: false, minZoom: 6, maxZoom: 16 });
  map.setView([23.9, 106.6], 8);
  if (config.tiles.url) {
    L.control.attribution({ prefix: false }).addTo(map);
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 18 }).addTo(map);
  } else {
    mapEl.classList.add("no-tiles");
  }
  L.control.scale({ imperial: false }).addTo(map);

  // County outlines under every level; not interactive, so they are not counted as features.
  var outline = L.geoJSON(null, {
    interactive: false,
    style: { color: "#44546a", weight: 1.4, opacity: 0.9, fill: false }
  }).addTo(map);
  var dataLayer = null;
  var teamLayer = null;
  var fitted = false;
  var fittedView = null;

  // Whether the map still shows the fitted view: the same zoom, the centre within a few pixels
  // (Leaflet keeps the centre through a resize, give or take its pixel rounding).
  function stillFitted() {
    if (!fittedView || map.getZoom() !== fittedView.zoom) return false;
    var z = fittedView.zoom;
    return map.project(map.getCenter(), z).distanceTo(map.project(fittedView.center, z)) < 4;
  }

  function fitToArea() {
    map.fitBounds(outline.getBounds(), { padding: [12, 12], animate: false });
    fittedView = { zoom: map.getZoom(), center: map.getCenter() };
    state.fits++;
  }

  // A phone turned sideways, a window resized: the user's area fitted again, unless they have
  // moved the map themselves since.
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      var untouched = stillFitted();
      map.invalidateSize({ animate: false });
      if (untouched) fitToArea();
    }, 150);
  });

  // The legend sits in the map's corner on a wide screen; on a phone it would hide a good part of
  // the map, so it moves under the map instead (and back when the screen widens).
  var legendEl = L.DomUtil.create("div", "legend");
  legendEl.id = "legend";
  var legendCorner = null;
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    legendCorner = L.DomUtil.create("div", "legend-corner");
    return legendCorner;
  };
  legend.addTo(map);
  var narrow = window.matchMedia("(max-width: 600px)");
  function placeLegend() {
    (narrow.matches ? $("legend-below") : legendCorner).appendChild(legendEl);
  }
  placeLegend();
  narrow.addEventListener("change", placeLegend);

  function niceNumber(x) {
    if (x < 10) return Math.max(1, Math.round(x));
    var p = Math.pow(10, Math.floor(Math.log10(x)) - 1);
    return Math.round(x / p) * p;
  }

  // Up to five classes of the non-zero values, at their quantiles (rounded to two figures).
  function classBreaks(values) {
    var v = values.filter(function (x) { return x > 0; }).sort(function (a, b) { return a - b; });
    if (!v.length) return null;
    var cuts = [];
    [0.2, 0.4, 0.6, 0.8].forEach(function (q) {
      var c = niceNumber(v[Math.min(v.length - 1, Math.floor(q * v.length))]);
      if (c < v[v.length - 1] && (!cuts.length || c > cuts[cuts.length - 1])) cuts.push(c);
    });
    return { cuts: cuts, colors: PALETTE.slice(PALETTE.length - cuts.length - 1) };
  }

  function colorFor(value, breaks) {
    if (!value || !breaks) return ZERO;
    var i = 0;
    while (i < breaks.cuts.length && value > breaks.cuts[i]) i++;
    return breaks.colors[i];
  }

  function popupHtml(p) {
    var rows = FIGURES.map(function (k) {
      return "<tr><th>" + METRICS[k] + "</th><td>" + fmt(p[k]) + "</td></tr>";
    }).join("");
    var where = p.township_name ? "<div class='muted'>" + esc(p.township_name) + "</div>" : "";
    return (
      "<div class='popup'><h3>" + esc(p.name) + " <small>" + esc(p.code) + "</small></h3>" + where +
      "<div class='served " + (p.served ? "yes" : "no") + "'>" + (p.served ? "已服务" : "未服务") + "</div>" +
      "<table>" + rows + "</table>" +
      "<div class='source" + (p.derived ? " derived" : "") + "'>" +
      (p.level === "county" ? "边界" : p.level === "village" ? "位置" : "范围") + "：" +
      esc(SOURCES[p.geometry_source] || p.geometry_source) + "</div></div>"
    );
  }

  function drawPolygons(collection) {
    var breaks = classBreaks(collection.features.map(function (f) { return f.properties[state.metric]; }));
    var withLabels = collection.level === "county";
    var layer = L.geoJSON(collection, {
      filter: function (f) { return !!f.geometry; },
      style: function (f) {
        var p = f.properties;
        return {
          color: "#ffffff", weight: withLabels ? 1.5 : 0.8, fillOpacity: 0.85,
          fillColor: colorFor(p[state.metric], breaks), dashArray: p.derived ? "3 2" : null
        };
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindPopup(popupHtml(p));
        if (withLabels) {
          l.bindTooltip(esc(p.name), { permanent: true, direction: "center", className: "area-label" });
        } else {
          l.bindTooltip(esc(p.name) + "：" + fmt(p[state.metric]), { sticky: true });
        }
        l.on("mouseover", function () { l.setStyle({ weight: 2.5, color: "#1b2a3a" }); l.bringToFront(); });
        l.on("mouseout", function () { layer.resetStyle(l); });
      }
    });
    return { layer: layer, breaks: breaks };
  }

  // A village whose position is still generated (our guess, not a survey) is drawn as a hollow, dashed
  // ring; a surveyed one as a solid dot. The "推算位置" marks fade as real positions arrive.
  function isGuessed(p) { return p.geometry_source === "generated"; }

  function drawVillages(collection) {
    var layer = L.geoJSON(collection, {
      filter: function (f) { return !!f.geometry; },
      pointToLayer: function (f, latlng) {
        var served = f.properties.served;
        var guessed = isGuessed(f.properties);
        var fill = served ? SERVED : UNSERVED;
        return L.circleMarker(latlng, {
          radius: served ? 4 : 4.5, weight: guessed ? 1.2 : 0.8, color: guessed ? fill : "#ffffff",
          opacity: 0.9, fillColor: fill, fillOpacity: guessed ? 0.3 : 0.9, dashArray: guessed ? "2 2" : null,
          className: (served ? "village served" : "village unserved") + (guessed ? " generated" : " surveyed")
        });
      },
      onEachFeature: function (f, l) {
        l.bindPopup(popupHtml(f.properties));
        l.bindTooltip(esc(f.properties.name), { direction: "top", offset: [0, -4] });
      }
    });
    return { layer: layer, breaks: null };
  }

  function renderLegend(collection, breaks) {
    var el = legendEl;
    var html = "";
    if (collection.level === "village") {
      var served = collection.features.filter(function (f) { return f.properties.served; }).length;
      html += "<h4>村服务状态</h4>";
      html += "<div><i class='swatch dot' data-color='" + SERVED + "'></i>已服务 " + fmt(served) + "</div>";
      html += "<div><i class='swatch dot' data-color='" + UNSERVED + "'></i>未服务 " +
        fmt(collection.features.length - served) + "</div>";
      var guessed = guessedCount(collection);
      if (guessed) {
        html += "<div><i class='swatch dot guessed'></i>空心虚线：推算位置 " + fmt(guessed) + "</div>";
      }
    } else {
      html += "<h4>" + METRICS[state.metric] + "</h4>";
      html += "<div><i class='swatch' data-color='" + ZERO + "'></i>0</div>";
      if (breaks) {
        var lo = 1;
        breaks.colors.forEach(function (c, i) {
          var label = i < breaks.cuts.length
            ? (lo === breaks.cuts[i] ? fmt(lo) : fmt(lo) + " – " + fmt(breaks.cuts[i]))
            : "> " + fmt(breaks.cuts[i - 1] || 0);
          html += "<div><i class='swatch' data-color='" + c + "'></i>" + label + "</div>";
          if (i < breaks.cuts.length) lo = breaks.cuts[i] + 1;
        });
      }
    }
    if (state.teamHighlighted) {
      html += "<div class='team-key'><i class='swatch team-swatch'></i>团队服务范围 " + fmt(state.teamHighlighted) +
        " 个" + LEVEL_NAMES[collection.level] + "</div>";
    }
    if (collection.level === "township") {
      html += "<p class='derived-note'>乡镇范围为推算位置，非实测</p>";
    } else if (collection.level === "village" && guessedCount(collection)) {
      html += "<p class='derived-note'>" + (guessedCount(collection) === collection.features.length ?
        "村位置为推算位置，非实测" : "部分村位置为推算位置，非实测") + "</p>";
    }
    el.innerHTML = html;
    applyStyles(el);
  }

  var NOTES = {
    county: "县区边界为行政区划边界数据。",
    township: "乡镇范围为推算：按所辖村的推算位置划分（泰森多边形），裁剪到县区边界，虚线勾边，非实测边界。",
    village: "村位置为推算位置：在所属县区内按规则生成，非实测坐标，仅示意分布。"
  };

  function guessedCount(collection) {
    return collection.features.filter(function (f) { return f.geometry && isGuessed(f.properties); }).length;
  }

  function villageNote(collection) {
    var guessed = guessedCount(collection);
    var located = collection.features.filter(function (f) { return !!f.geometry; }).length;
    if (guessed === located) return NOTES.village;
    if (!guessed) return "村位置为实测位置。";
    return "村位置：实测 " + fmt(located - guessed) + " 个（实心点）；推算位置 " + fmt(guessed) +
      " 个（空心虚线圈，在所属县区内按规则生成，非实测坐标，仅示意）。";
  }

  function renderNote(collection) {
    var base = config.tiles.url ? "" : "底图：离线模式，仅绘制边界（未配置瓦片服务）。";
    var missing = state.missingGeometry ? "另有 " + fmt(state.missingGeometry) + " 个" +
      LEVEL_NAMES[collection.level] + "暂无位置，未画出。" : "";
    var note = collection.level === "village" ? villageNote(collection) : NOTES[collection.level];
    $("map-note").textContent = note + missing + base;
  }

  // The team's service area over the map: the counties, townships or villages it serves (a township it
  // serves counts all its villages; a village it serves, its township). Not interactive: the popups stay
  // those of the areas underneath.
  function drawTeam(collection, work) {
    if (teamLayer) map.removeLayer(teamLayer);
    teamLayer = null;
    state.teamHighlighted = 0;
    if (!work) return;
    var codes = new Set(work.highlight[collection.level] || []);
    teamLayer = L.geoJSON(collection, {
      interactive: false,
      filter: function (f) { return !!f.geometry && codes.has(f.properties.code); },
      style: { color: TEAM, weight: 3, opacity: 0.95, fill: false, className: "team-area" },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {
          radius: 7, color: TEAM, weight: 2, opacity: 0.95, fill: false, interactive: false, className: "team-area"
        });
      }
    }).addTo(map);
    state.teamHighlighted = teamLayer.getLayers().length;
  }

  function drawMap(collection, work) {
    if (dataLayer) map.removeLayer(dataLayer);
    var drawn = collection.level === "village" ? drawVillages(collection) : drawPolygons(collection);
    dataLayer = drawn.layer.addTo(map);
    state.featureCount = dataLayer.getLayers().length;
    state.missingGeometry = collection.features.length - state.featureCount;
    drawTeam(collection, work);
    renderLegend(collection, drawn.breaks);
    renderNote(collection);
    if (!fitted && outline.getLayers().length) {
      fitToArea();
      fitted = true;
    }
  }

  // -- side panel --------------------------------------------------------------------------------

  function renderSummary(counties, villages) {
    var sum = function (k) {
      return counties.features.reduce(function (t, f) { return t + (f.properties[k] || 0); }, 0);
    };
    var served = villages.features.filter(function (f) { return f.properties.served; }).length;
    var total = villages.features.length;
    $("kpi-coverage").textContent = total ? (100 * served / total).toFixed(1) + "%" : "–";
    $("kpi-coverage").title = fmt(served) + " / " + fmt(total) + " 个村";
    $("kpi-trainees").textContent = fmt(sum("trainees"));
    $("kpi-dispatches").textContent = fmt(sum("dispatches"));
    $("kpi-checkins").textContent = fmt(sum("checkins"));
    $("summary-window").textContent = state.from + " 至 " + state.to;
  }

  // The picked team's figures beside those of the reader's area (the city, or their county) where the
  // area has the same figure. Built with textContent: team and area names are data.
  var TEAM_FIGURES = [
    { key: "members", name: "团队成员", unit: "人" },
    { key: "service_days", name: "服务天数", unit: "人天" },
    { key: "trainings", name: "培训场次", unit: "场", area: "trainings" },
    { key: "trainees", name: "培训人次", unit: "人次", area: "trainees" },
    { key: "problems_resolved", name: "已解决问题", unit: "个", area: "problems_resolved" },
    { key: "rating_avg", name: "平均评分", unit: "分" }
  ];

  function renderTeam(work, counties) {
    var card = $("team-card");
    card.hidden = !work;
    if (!work) return;
    var team = work.team;
    $("team-name").textContent = team.name;
    $("team-meta").textContent = team.county_name + " · " + team.industry_name + (team.active ? "" : " · 已停用");
    $("team-window").textContent = state.from + " 至 " + state.to;
    $("team-area-head").textContent = config.area.level === "city" ? "全市" : config.area.name;
    var body = $("team-rows");
    body.replaceChildren();
    TEAM_FIGURES.forEach(function (row) {
      var value = work.figures[row.key];
      var mine = value == null ? "–" : (row.key === "rating_avg" ? value.toFixed(2) : fmt(value)) + " " + row.unit;
      var whole = "–";
      if (row.area) {
        var total = counties.features.reduce(function (t, f) { return t + (f.properties[row.area] || 0); }, 0);
        whole = fmt(total) + " " + row.unit;
        if (total && value) mine += "（" + (100 * value / total).toFixed(1) + "%）";
      }
      var tr = document.createElement("tr");
      tr.dataset.figure = row.key;
      [row.name, mine, whole].forEach(function (text, i) {
        var cell = document.createElement(i ? "td" : "th");
        if (!i) cell.scope = "row";
        cell.className = i ? "num" + (i === 1 ? " team-value" : " area-value") : "";
        cell.textContent = text;
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
    var names = work.service_area.map(function (a) { return a.name; });
    $("team-areas").textContent = names.length
      ? "服务范围：" + names.join("、") + "（地图上紫色勾出；服务天数、培训为成员在服务范围内的工作）"
      : "尚未登记服务范围。";
  }

  var unserved = [];

  function renderUnserved(villages) {
    unserved = villages.features.filter(function (f) { return !f.properties.served; });
    state.villageCount = villages.features.length;
    state.unservedCount = unserved.length;
    state.unservedPage = 0;
    $("unserved-count").textContent = fmt(unserved.length) + " / " + fmt(villages.features.length);
    renderUnservedPage();
  }

  function unservedRow(f) {
    var p = f.properties;
    var tr = document.createElement("tr");
    [p.name, p.code, p.township_name].forEach(function (text) {
      var td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    });
    if (f.geometry) {
      tr.tabIndex = 0;
      tr.title = isGuessed(p) ? "在地图上查看（推算位置）" : "在地图上查看";
      var show = function () {
        var c = f.geometry.coordinates;
        map.setView([c[1], c[0]], Math.max(map.getZoom(), 11));
        L.popup().setLatLng([c[1], c[0]]).setContent(popupHtml(p)).openOn(map);
        if (window.matchMedia("(max-width: 960px)").matches) mapEl.scrollIntoView({ behavior: "smooth" });
      };
      tr.addEventListener("click", show);
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter") show(); });
    }
    return tr;
  }

  // One page of the list at a time: the whole city's list ran to 21,000 px on a phone.
  function renderUnservedPage() {
    var pages = Math.max(1, Math.ceil(unserved.length / PAGE_SIZE));
    var page = Math.min(Math.max(state.unservedPage, 0), pages - 1);
    state.unservedPage = page;
    var start = page * PAGE_SIZE;
    var rows = unserved.slice(start, start + PAGE_SIZE);
    var frag = document.createDocumentFragment();
    rows.forEach(function (f) { frag.appendChild(unservedRow(f)); });
    if (!rows.length) {
      var tr = document.createElement("tr");
      tr.innerHTML = "<td colspan='3' class='muted'>所选时段内每个村都有服务记录。</td>";
      frag.appendChild(tr);
    }
    $("unserved-list").replaceChildren(frag);
    $("unserved-page").textContent = rows.length
      ? fmt(start + 1) + "–" + fmt(start + rows.length) + " / " + fmt(unserved.length) : "";
    $("unserved-prev").disabled = page === 0;
    $("unserved-next").disabled = page >= pages - 1;
    $("unserved-pager").hidden = pages < 2;
  }

  $("unserved-prev").addEventListener("click", function () { state.unservedPage--; renderUnservedPage(); });
  $("unserved-next").addEventListener("click", function () { state.unservedPage++; renderUnservedPage(); });

  function targetStatus(t) {
    // The service says; an older answer without `status` is judged by the projection's days.
    if (t.status) return t.status;
    var pr = t.projection;
    if (pr.elapsed_days === 0) return "upcoming";
    return pr.elapsed_days >= pr.total_days ? "ended" : "current";
  }

  function renderTarget(t) {
    var pr = t.projection;
    var status = targetStatus(t);
    var pct = Math.min(100, t.percent);
    var projectedPct = Math.min(100, pr.projected_percent);
    var period = t.period_start.slice(0, 4) + "–" + t.period_end.slice(0, 4);
    var verdict, cls;
    if (status === "upcoming") {
      verdict = "规划期尚未开始（" + t.period_start + " 起）。";
      cls = "";
    } else if (status === "ended") {
      cls = t.achieved >= t.target ? "ok" : "behind";
      verdict = "规划期已于 " + t.period_end + " 结束：最终完成 " + fmt(t.achieved) + " " + esc(t.unit) + "（" +
        t.percent + "%），" + (t.achieved >= t.target ? "目标已完成 ✓" : "目标未完成 ✗");
    } else {
      cls = pr.on_track ? "ok" : "behind";
      verdict = "按当前进度预计期末达到 " + fmt(pr.projected) + " " + esc(t.unit) + "（" + pr.projected_percent +
        "%），" + (pr.on_track ? "可以如期完成 ✓" : "难以如期完成 ✗");
    }
    var mine = "";
    if (config.area.level === "county") {
      var row = (t.by_county || []).filter(function (c) { return c.code === config.area.code; })[0];
      if (row) mine = "；其中" + esc(row.name) + " " + fmt(row.achieved) + " " + esc(t.unit);
    }
    // The previous plan's figure, beside this one's: where the plan started from.
    var baseline = t.baseline ?
      "<div class='baseline small'>基线（" + esc(t.baseline.period_label) + "）：" + fmt(t.baseline.value) + " " +
        esc(t.unit) + (t.baseline.value ? "；本期目标为基线的 " + Math.round(100 * t.target / t.baseline.value) +
        "%" : "") + "</div>" : "";
    var scope = t.area_code === "451000" ? "全市目标" : "本县目标（" + esc(t.area_code) + "）";
    var years = (t.by_year || []).map(function (y) { return y.year + " " + fmt(y.achieved); }).join(" · ");
    var div = document.createElement("div");
    div.className = "target target-" + status;
    div.dataset.code = t.code;
    div.dataset.status = status;
    div.innerHTML =
      "<div class='target-head'><b>" + esc(t.name) + "</b><span>" + fmt(t.achieved) + " / " + fmt(t.target) + " " +
      esc(t.unit) + "</span></div>" +
      "<div class='bar' role='progressbar' aria-valuemin='0' aria-valuemax='100' aria-valuenow='" + t.percent +
      "' aria-label='" + esc(t.name) + "完成率'>" +
      (status === "current" ?
        "<div class='bar-projected' data-width='" + projectedPct + "' title='预计 " + pr.projected_percent + "%'></div>" :
        "") +
      "<div class='bar-achieved' data-width='" + pct + "'></div>" +
      "<span class='bar-label'>" + t.percent + "%</span></div>" +
      "<div class='projection " + cls + "'>" + verdict + "</div>" + baseline +
      "<div class='muted small'>" + period + " " + scope + " · 数据截至 " + pr.as_of + mine + "</div>" +
      "<div class='muted small years-line' title='" + years + "'>逐年：" + years + "</div>";
    applyStyles(div);
    return div;
  }

  function renderTargets(data) {
    var list = $("target-list");
    list.replaceChildren();
    state.targetsCount = data.targets.length;
    if (!data.targets.length) {
      list.innerHTML = "<p class='muted'>尚未录入规划目标。</p>";
      return;
    }
    // Every current (and coming) target first; then each ended plan's final result.
    var groups = [
      {title: "当前规划目标", items: data.targets.filter(function (t) { return targetStatus(t) !== "ended"; }),
       empty: "尚无当前规划的目标：市科技局可在管理后台或通过 POST /api/v1/targets 录入下一规划的目标。"},
      {title: "已结束规划的最终结果", items: data.targets.filter(function (t) { return targetStatus(t) === "ended"; })}
    ];
    groups.forEach(function (g) {
      if (!g.items.length && !g.empty) return;
      var section = document.createElement("div");
      section.className = "target-group";
      var h = document.createElement("h3");
      h.textContent = g.title;
      section.appendChild(h);
      if (!g.items.length) {
        var p = document.createElement("p");
        p.className = "muted small";
        p.textContent = g.empty;
        section.appendChild(p);
      }
      g.items.forEach(function (t) { section.appendChild(renderTarget(t)); });
      list.appendChild(section);
    });
  }

  // -- flow --------------------------------------------------------------------------------------

  var generation = 0;

  function setStatus(text, isError) {
    var el = $("status");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  function publish(phase) {
    state.ready = phase === "ready";
    mapEl.dataset.state = phase;
    mapEl.dataset.level = state.level;
    mapEl.dataset.featureCount = String(state.featureCount);
    mapEl.dataset.team = state.team || "";
  }

  // Redraw for the current level and window. A newer call supersedes an older one still loading.
  function refresh() {
    var mine = ++generation;
    state.error = null;
    publish("loading");
    setStatus("加载中…");
    var level = state.level;
    return Promise.all([coverage("county"), coverage("village"), coverage(level), teamWork()]).then(function (res) {
      if (mine !== generation) return;
      var counties = res[0], villages = res[1], current = res[2], work = res[3];
      state.teamName = work ? work.team.name : null;
      outline.clearLayers();
      outline.addData(counties);
      drawMap(current, work);
      renderSummary(counties, villages);
      renderTeam(work, counties);
      renderUnserved(villages);
      setStatus(LEVEL_NAMES[level] + " " + fmt(state.featureCount) + " 个 · " + state.from + " 至 " + state.to +
        (work ? " · " + work.team.name : ""));
      publish("ready");
    }).catch(function (err) {
      if (mine !== generation) return;
      state.error = err.message;
      setStatus(err.message, true);
      publish("error");
    });
  }

  // The previous plan's results (十三五) beside the same figures of the current plan so far. Built with
  // textContent: names and units are data the bureau edits.
  function renderBaselines(data) {
    var body = $("baseline-rows");
    body.replaceChildren();
    var items = data.baselines || [];
    if (!items.length) {
      var empty = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = 3;
      td.className = "muted";
      td.textContent = "尚未录入上一规划的基线。";
      empty.appendChild(td);
      body.appendChild(empty);
      return;
    }
    var labels = items.map(function (b) { return b.period_label; }).filter(function (l, i, all) {
      return all.indexOf(l) === i;
    });
    $("baselines-past").textContent = labels.join("、");
    $("baselines-window").textContent = data.plan.from + " 至 " + data.plan.to;
    items.forEach(function (b) {
      var tr = document.createElement("tr");
      tr.dataset.measure = b.measure;
      [b.name, fmt(b.value) + (b.at_least ? "+" : "") + " " + b.unit, fmt(b.current) + " " + b.unit]
        .forEach(function (text, i) {
          var cell = document.createElement(i ? "td" : "th");
          if (!i) cell.scope = "row";
          cell.className = i ? "num" + (i === 1 ? " baseline-value" : " current-value") : "";
          cell.textContent = text;
          tr.appendChild(cell);
        });
      body.appendChild(tr);
    });
    var note = config.area.level === "city"
      ? "本期为规划期内至今的全市数。"
      : "基线为全市数，本期为" + config.area.name + "的数。";
    if (items.some(function (b) { return b.measure === "villages_served"; })) {
      note += "本期村数为有服务的村（不区分是否原贫困村）。";
    }
    $("baselines-note").textContent = note;
  }

  function loadTargets() {
    return fetchJSON(config.urls.targets).then(function (data) {
      renderTargets(data);
      renderBaselines(data);
    }).catch(function (err) {
      $("target-list").innerHTML = "<p class='error'>" + esc(err.message) + "</p>";
      $("baseline-rows").innerHTML = "<tr><td colspan='3' class='error'>" + esc(err.message) + "</td></tr>";
    });
  }

  function setLevel(level) {
    state.level = level;
    document.querySelectorAll("#level-switch button").forEach(function (b) {
      b.classList.toggle("active", b.dataset.level === level);
      b.setAttribute("aria-pressed", b.dataset.level === level ? "true" : "false");
    });
    $("metric").disabled = level === "village";
    refresh();
  }

  document.querySelectorAll("#level-switch button").forEach(function (b) {
    b.addEventListener("click", function () { setLevel(b.dataset.level); });
  });
  if ($("team")) {
    $("team").addEventListener("change", function (e) {
      state.team = e.target.value || null;
      refresh();
    });
  }
  $("metric").addEventListener("change", function (e) {
    state.metric = e.target.value;
    refresh();
  });

  var fromInput = $("date-from"), toInput = $("date-to");
  fromInput.value = state.from;
  toInput.value = state.to;
  $("window-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!fromInput.value || !toInput.value) return setStatus("请填写起止日期。", true);
    if (toInput.value < fromInput.value) return setStatus("结束日期不能早于开始日期。", true);
    state.from = fromInput.value;
    state.to = toInput.value;
    markYear();
    refresh();
  });

  // Quick picks: the whole plan, or one of its years.
  var picks = $("year-picks");
  function pick(label, from, to) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.textContent = label;
    b.dataset.from = from;
    b.dataset.to = to;
    b.addEventListener("click", function () {
      fromInput.value = from;
      toInput.value = to;
      $("window-form").requestSubmit();
    });
    picks.appendChild(b);
  }
  function markYear() {
    picks.querySelectorAll(".chip").forEach(function (b) {
      b.classList.toggle("active", b.dataset.from === state.from && b.dataset.to === state.to);
    });
  }
  pick("全周期", config.plan.from, config.plan.to);
  for (var y = Number(config.plan.from.slice(0, 4)); y <= Number(config.plan.to.slice(0, 4)); y++) {
    pick(String(y), y + "-01-01", y + "-12-31");
  }
  markYear();

  // The bureau opens on the city's counties; county staff on the townships of their county (their
  // county alone at county level would be one shape in one colour).
  setLevel(config.level);
  loadTargets();
})();
