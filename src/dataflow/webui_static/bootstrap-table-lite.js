/* A small offline stand-in for bootstrap-table, which GX Data Docs load from a CDN.
 * It renders the `columns` and `data` a Data Docs page passes to $(...).bootstrapTable()
 * as a plain Bootstrap table; a row with `_table_row_link_path` links to that page.
 * Sorting, filters and paging of the real library are not reproduced. */
(function ($) {
  if (!$ || $.fn.bootstrapTable) { return; }
  $.fn.bootstrapTable = function (options) {
    if (typeof options !== "object") { return this; }
    var columns = (options.columns || []).filter(function (c) { return c.field && c.title; });
    var rows = (options.data || []).slice();
    if (options.sortName) {
      var key = options.sortName, desc = options.sortOrder === "desc";
      rows.sort(function (a, b) { return (a[key] > b[key] ? 1 : a[key] < b[key] ? -1 : 0) * (desc ? -1 : 1); });
    }
    var head = $("<tr>").append(columns.map(function (c) { return $("<th>").text(c.title); }));
    var body = rows.map(function (row) {
      var tr = $("<tr>").append(columns.map(function (c) { return $("<td>").html(row[c.field] || ""); }));
      if (row._table_row_link_path) {
        tr.css("cursor", "pointer").on("click", function () { window.location = row._table_row_link_path; });
      }
      return tr;
    });
    return this.addClass("table table-hover").empty()
      .append($("<thead>").append(head), $("<tbody>").append(body));
  };
})(window.jQuery);
