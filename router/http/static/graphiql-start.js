// Starts GraphiQL against the endpoint named on the page; everything it loads
// comes from this server, so it works without internet access. A `query`
// parameter in the page's URL (a shared link) becomes the initial query.
(function () {
  var root = document.getElementById("graphiql");
  var params = new URLSearchParams(window.location.search);
  var fetcher = GraphiQL.createFetcher({
    url: root.getAttribute("data-endpoint"),
    enableIncrementalDelivery: false,
    headers: { accept: "application/graphql-response+json, application/json;q=0.9" },
  });
  var props = { fetcher: fetcher, defaultEditorToolsVisibility: true };
  if (params.get("query")) {
    props.query = params.get("query");
  }
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
