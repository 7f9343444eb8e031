/* The county dashboard page (县级看板): fills the server-rendered skeleton of /dashboard from the JSON API.
   The token is kept in sessionStorage and sent as a Bearer header; it never goes into a URL. Every label and
   column comes from the page itself (data-key / data-kind attributes); this script only fetches and formats. */
(function () {
  'use strict';

  var TOKEN = 'xiaofei.dashboard.token';
  var names = JSON.parse(document.getElementById('names').textContent);
  var charts = {};
  var flaggedAfter = null;

  function $(selector) { return document.querySelector(selector); }

  // Where each figure comes from: swap a read here and the rest of the page stays as it is.
  var sources = {
    counties: function () { return api('/counties', {}); },
    dashboard: function (county, year) { return api('/counties/' + county + '/dashboard', {year: year}); },
    townships: function (county, year) {
      return allPages('/counties/' + county + '/dashboard/areas', {year: year, level: 'township', limit: 500});
    },
    flagged: function (county, year, flag, after) {
      return api('/counties/' + county + '/household-incomes', {year: year, flag: flag, after: after, limit: 100});
    },
    household: function (county, year, number) {
      return api('/counties/' + county + '/households/' + encodeURIComponent(number) + '/income',
                 {year: year, limit: 500});
    },
    exportPath: function (county, year, flag, format) {
      return url('/counties/' + county + '/household-incomes/export', {year: year, flag: flag, format: format});
    }
  };

  function url(path, params) {
    var query = [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value !== null && value !== undefined && value !== '') {
        query.push(encodeURIComponent(key) + '=' + encodeURIComponent(value));
      }
    });
    return path + (query.length ? '?' + query.join('&') : '');
  }

  function token() { return sessionStorage.getItem(TOKEN); }

  // What a refusal means, in both languages; the API's own detail (English) follows in brackets.
  var REFUSALS = {
    400: '请求有误 The request was refused',
    403: '此令牌无权查看 This token may not read this',
    404: '未找到 Not found',
    422: '请求有误 The request was refused',
    429: '尝试过于频繁，请稍后再试 Too many attempts: try again later',
    503: '数据正在更新，请稍后再试 The figures are being brought up to date: try again shortly'
  };

  function refusal(status, detail) {
    var text = REFUSALS[status] || (status >= 500 ? '服务器出错 The server failed' : '请求被拒绝 The request was refused');
    return text + ' (' + status + (detail ? ': ' + detail : '') + ')';
  }

  function request(path) {
    return fetch(path, {headers: {Authorization: 'Bearer ' + token()}, credentials: 'omit', cache: 'no-store'})
      .catch(function () { throw new Error('无法连接服务器 Cannot reach the server'); })
      .then(function (response) {
        if (response.status === 401) {
          logout();
          throw new Error('令牌无效或已撤销 The token is not valid (or was revoked)');
        }
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (problem) {
            throw new Error(refusal(response.status, problem.detail));
          });
        }
        return response;
      });
  }

  function api(path, params) {
    return request(url(path, params)).then(function (response) { return response.json(); });
  }

  function allPages(path, params) {
    var items = [];
    function next(after) {
      return api(path, Object.assign({}, params, {after: after})).then(function (page) {
        items = items.concat(page.items);
        return page.next_after ? next(page.next_after) : items;
      });
    }
    return next(null);
  }

  // -- formatting: integer fen as 元 with two decimals, exactly (no floating point) ---------------------------

  function yuan(fen) {
    if (fen === null || fen === undefined) { return '—'; }
    var abs = Math.abs(fen);
    var whole = Math.floor(abs / 100);
    var cents = abs % 100;
    return (fen < 0 ? '-' : '') + whole.toLocaleString('en-US') + '.' + (cents < 10 ? '0' : '') + cents;
  }

  // A drill-down line's event in words, from its source (what the API keeps to trace it).
  function event(source, row) {
    source = source || {};
    var named = names.events[row && row.kind === 'revenue_share' ? 'revenue_share' : source.event] || source.event || '';
    var detail = [];
    if (source.event === 'Payroll.SlipVerified') { detail.push('实发 net ' + yuan(source.net_fen)); }
    if (source.seller) { detail.push('经营主体 seller ' + source.seller); }
    if (source.reference) { detail.push('凭证 ref ' + source.reference); }
    if (source.paid_on) { detail.push(source.paid_on); }
    if (source.note) { detail.push(source.note); }
    return [named].concat(detail).join(' · ');
  }

  function format(kind, value, row) {
    if (kind === 'yuan') { return yuan(value); }
    if (kind === 'event') { return event(value, row); }
    if (value === null || value === undefined) { return '—'; }
    if (kind === 'int') { return Number(value).toLocaleString('en-US'); }
    if (kind === 'flags') { return value.map(function (f) { return names.flags[f] || f; }).join('、'); }
    if (kind === 'category') { return names.categories[value] || value; }
    if (kind === 'kind') { return names.kinds[value] || value; }
    return String(value);
  }

  function pick(object, key) {
    return key.split('.').reduce(function (o, part) { return o === null || o === undefined ? o : o[part]; }, object);
  }

  function fillCards(container, object) {
    container.querySelectorAll('.card').forEach(function (card) {
      card.querySelector('.value').textContent = format(card.dataset.kind, pick(object, card.dataset.key));
    });
  }

  function fillTable(table, rows, onRow) {
    var columns = Array.prototype.map.call(table.querySelectorAll('thead th'), function (th) {
      return {key: th.dataset.key, kind: th.dataset.kind};
    });
    var body = table.querySelector('tbody');
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      columns.forEach(function (column) {
        var td = document.createElement('td');
        td.textContent = format(column.kind, pick(row, column.key), row);
        td.className = column.kind;
        if (column.kind === 'event' && row.line_key) { td.title = row.line_key; }
        tr.appendChild(td);
      });
      if (onRow) { onRow(tr, row); }
      body.appendChild(tr);
    });
  }

  function clear(table) { table.querySelector('tbody').textContent = ''; }

  function status(text, isError) {
    var element = $('#status');
    element.textContent = text;
    element.className = isError ? 'error' : '';
  }

  // Lines by month, then by key; a yearly declaration (no month) last.
  function byMonth(lines) {
    return lines.slice().sort(function (a, b) {
      var ma = a.month || '9999', mb = b.month || '9999';
      if (ma !== mb) { return ma < mb ? -1 : 1; }
      return a.line_key < b.line_key ? -1 : (a.line_key > b.line_key ? 1 : 0);
    });
  }

  // -- charts ------------------------------------------------------------------------------------------------

  function drawCharts(dashboard) {
    var year = dashboard.year;
    var months = [];
    for (var m = 1; m <= 12; m += 1) { months.push(year + '-' + (m < 10 ? '0' : '') + m); }
    var byMonth = {};
    dashboard.months.forEach(function (row) { byMonth[row.month] = row; });
    document.querySelectorAll('figure.chart').forEach(function (figure) {
      var series = JSON.parse(figure.dataset.series);
      var value = function (kind, v) { return v === null || v === undefined ? 0 : (kind === 'yuan' ? v / 100 : v); };
      var source = figure.dataset.source === 'income' ? [dashboard.income || {}] : dashboard.months;
      var empty = !source.some(function (row) {
        return series.some(function (s) { return value(s[2], row[s[0]]) !== 0; });
      });
      figure.classList.toggle('empty', empty);
      figure.querySelector('.no-data').hidden = !empty;
      figure.querySelector('.canvas').hidden = empty;
      if (empty) {  // a blank chart says nothing: say there is no data instead
        if (charts[figure.id]) { charts[figure.id].dispose(); delete charts[figure.id]; }
        return;
      }
      var chart = charts[figure.id] || echarts.init(figure.querySelector('.canvas'));
      charts[figure.id] = chart;
      var option;
      if (figure.dataset.source === 'income') {
        var income = dashboard.income || {};
        option = {
          tooltip: {trigger: 'axis'},
          grid: {top: 24, left: 48, right: 16, bottom: 48},
          xAxis: {type: 'category', data: series.map(function (s) { return s[1]; }),
                  axisLabel: {interval: 0, width: 90, overflow: 'break'}},
          yAxis: {type: 'value', minInterval: 1},
          series: [{type: 'bar', name: figure.querySelector('figcaption').textContent,
                    data: series.map(function (s) { return value(s[2], income[s[0]]); })}]
        };
      } else {
        option = {
          tooltip: {trigger: 'axis'},
          legend: {top: 0},
          grid: {top: 36, left: 64, right: 16, bottom: 28},
          xAxis: {type: 'category', data: months.map(function (month) { return month.slice(5) + '月'; })},
          yAxis: {type: 'value'},
          series: series.map(function (s) {
            return {type: 'bar', name: s[1], data: months.map(function (month) {
              return value(s[2], byMonth[month] ? byMonth[month][s[0]] : 0);
            })};
          })
        };
      }
      chart.setOption(option, true);
    });
  }

  function disposeCharts() {
    Object.keys(charts).forEach(function (id) { charts[id].dispose(); delete charts[id]; });
  }

  // -- the page ----------------------------------------------------------------------------------------------

  function county() { return $('#county').value; }
  function year() { return $('#year').value; }

  function loadFlagged(reset) {
    var table = $('#flagged');
    if (reset) { clear(table); flaggedAfter = null; }
    return sources.flagged(county(), year(), $('#flag').value, flaggedAfter).then(function (page) {
      fillTable(table, page.items, function (tr, row) {
        tr.dataset.household = row.household_number;
        tr.tabIndex = 0;
        tr.addEventListener('click', function () { showHousehold(row.household_number); });
        tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') { showHousehold(row.household_number); } });
      });
      flaggedAfter = page.next_after;
      $('#flagged-more').hidden = !flaggedAfter;
    });
  }

  function showHousehold(number) {
    status('加载中… Loading…');
    return sources.household(county(), year(), number).then(function (household) {
      var section = $('#household');
      $('#household-number').textContent = household.household_number;
      fillCards($('#household-figures'), household);
      clear($('#household-categories'));
      fillTable($('#household-categories'), household.categories);
      clear($('#household-lines'));
      fillTable($('#household-lines'), byMonth(household.lines));
      $('#household-more').hidden = !household.next_after;
      section.hidden = false;
      section.dataset.number = household.household_number;
      section.scrollIntoView({block: 'start'});
      status('');
    }).catch(function (error) { status('加载失败 Could not load: ' + error.message, true); });
  }

  function load() {
    document.body.dataset.state = 'loading';
    status('加载中… Loading…');
    $('#household').hidden = true;
    return Promise.all([sources.dashboard(county(), year()), sources.townships(county(), year())])
      .then(function (results) {
        var dashboard = results[0];
        fillCards($('#headline'), dashboard.headline);
        $('#as-of').textContent = dashboard.headline.as_of_month ? '截至 as of ' + dashboard.headline.as_of_month : '';
        var nothing = !dashboard.months.length && !Object.keys(dashboard.headline.households_flagged)
          .some(function (flag) { return dashboard.headline.households_flagged[flag] > 0; });
        $('#no-data').hidden = !nothing;
        drawCharts(dashboard);
        clear($('#townships'));
        fillTable($('#townships'), results[1]);
        return loadFlagged(true);
      })
      .then(function () { status(''); document.body.dataset.state = 'ready'; })
      .catch(function (error) {
        status('加载失败 Could not load: ' + error.message, true);
        document.body.dataset.state = 'error';
      });
  }

  function start() {
    return sources.counties().then(function (counties) {
      var select = $('#county');
      select.textContent = '';
      counties.forEach(function (c) {
        var option = document.createElement('option');
        option.value = c.code;
        option.textContent = c.code + ' ' + c.name;
        select.appendChild(option);
      });
      if (!counties.length) { throw new Error('此令牌没有可查看的县 This token reads no county'); }
      $('#login').hidden = true;
      $('#session').hidden = false;
      $('#board').hidden = false;
      return load();
    }).catch(function (error) { status('登录失败 Could not log in: ' + error.message, true); });
  }

  function logout() {
    sessionStorage.removeItem(TOKEN);
    disposeCharts();
    $('#board').hidden = true;
    $('#session').hidden = true;
    $('#login').hidden = false;
    document.body.dataset.state = 'login';
  }

  function download(format) {
    status('导出中… Exporting…');
    var path = sources.exportPath(county(), year(), $('#flag').value, format);
    var name = 'export.' + format;
    request(path).then(function (response) {
      var disposition = response.headers.get('Content-Disposition') || '';
      var utf8 = /filename\*=UTF-8''([^;]+)/.exec(disposition);
      if (utf8) { name = decodeURIComponent(utf8[1]); }
      return response.blob();
    }).then(function (blob) {
      var link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      status('');
    }).catch(function (error) { status('导出失败 Export failed: ' + error.message, true); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('#year').value = document.body.dataset.defaultYear;
    $('#login-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var typed = $('#token').value.trim();
      $('#token').value = '';
      if (!typed) { return; }
      sessionStorage.setItem(TOKEN, typed);
      start();
    });
    $('#logout').addEventListener('click', logout);
    $('#county').addEventListener('change', load);
    $('#year').addEventListener('change', load);
    $('#flag').addEventListener('change', function () { loadFlagged(true); });
    $('#flagged-more').addEventListener('click', function () { loadFlagged(false); });
    $('#export-csv').addEventListener('click', function () { download('csv'); });
    $('#export-xlsx').addEventListener('click', function () { download('xlsx'); });
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    });
    if (token()) { start(); } else { document.body.dataset.state = 'login'; }
  });
}());
