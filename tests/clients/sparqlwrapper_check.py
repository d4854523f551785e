"""Drives a running dealgraph with two SPARQL clients nobody here wrote: SPARQLWrapper and
rdflib's SPARQLStore / SPARQLUpdateStore.

Usage: python3 sparqlwrapper_check.py BASE_URL WRITE_TOKEN
Prints one line per check and exits non-zero on the first failure.
"""

import sys

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper

base, token = sys.argv[1], sys.argv[2]
endpoint = base + "/sparql"
DGR = "https://w3id.org/dealgraph/id/"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    print(f"ok   {name}")


def wrapper():
    return SPARQLWrapper(endpoint, updateEndpoint=endpoint)


# SPARQLWrapper: SELECT as JSON by GET.
sparql = wrapper()
sparql.setQuery(f"SELECT ?label WHERE {{ <{DGR}coreweave> <{RDFS_LABEL}> ?label }}")
sparql.setReturnFormat(JSON)
rows = sparql.query().convert()["results"]["bindings"]
check("SPARQLWrapper SELECT json", [r["label"]["value"] for r in rows] == ["CoreWeave"], rows)

# SELECT as XML by POST.
sparql = wrapper()
sparql.setMethod(POST)
sparql.setQuery(f"SELECT ?label WHERE {{ <{DGR}openai> <{RDFS_LABEL}> ?label }}")
sparql.setReturnFormat(XML)
document = sparql.query().convert()
labels = [n.firstChild.data for n in document.getElementsByTagName("literal")]
check("SPARQLWrapper SELECT xml by POST", labels == ["OpenAI"], labels)

# ASK.
sparql = wrapper()
sparql.setQuery(f"ASK {{ <{DGR}coreweave> ?p ?o }}")
sparql.setReturnFormat(JSON)
check("SPARQLWrapper ASK", sparql.query().convert()["boolean"] is True)

# CONSTRUCT as Turtle, parsed by rdflib.
sparql = wrapper()
sparql.setQuery(f"CONSTRUCT {{ <{DGR}coreweave> ?p ?o }} WHERE {{ <{DGR}coreweave> ?p ?o }}")
sparql.setReturnFormat(TURTLE)
graph = Graph().parse(data=sparql.query().convert(), format="turtle")
check(
    "SPARQLWrapper CONSTRUCT turtle",
    (URIRef(DGR + "coreweave"), RDFS_LABEL, Literal("CoreWeave")) in graph,
    len(graph),
)

# An update without the token is refused; with it, applied.
sparql = wrapper()
sparql.setMethod(POST)
sparql.setQuery('INSERT DATA { GRAPH <http://e/clients> { <http://e/client> <http://e/p> "from SPARQLWrapper" } }')
try:
    sparql.query()
    check("SPARQLWrapper update without token refused", False, "it was accepted")
except Exception as error:  # SPARQLWrapper raises its own exception types per status
    check("SPARQLWrapper update without token refused", "401" in str(error) or "Unauthorized" in str(error), error)
sparql = wrapper()
sparql.setMethod(POST)
sparql.addCustomHttpHeader("Authorization", f"Bearer {token}")
sparql.setQuery('INSERT DATA { GRAPH <http://e/clients> { <http://e/client> <http://e/p> "from SPARQLWrapper" } }')
sparql.query()
sparql = wrapper()
sparql.setQuery("ASK { <http://e/client> <http://e/p> \"from SPARQLWrapper\" }")
sparql.setReturnFormat(JSON)
check("SPARQLWrapper update with token", sparql.query().convert()["boolean"] is True)

# rdflib's SPARQLStore reads the endpoint as a graph.
store = SPARQLStore(endpoint)
labels = {str(o) for o in Graph(store=store).objects(URIRef(DGR + "nvidia"), RDFS_LABEL)}
check("rdflib SPARQLStore triples()", labels == {"Nvidia"}, labels)
result = list(Graph(store=store).query(f"SELECT (COUNT(*) AS ?n) WHERE {{ <{DGR}coreweave> ?p ?o }}"))
check("rdflib SPARQLStore query()", int(result[0][0]) > 5, result)

# rdflib's SPARQLUpdateStore writes through the update endpoint with the token.
update_store = SPARQLUpdateStore(
    query_endpoint=endpoint,
    update_endpoint=endpoint,
    headers={"Authorization": f"Bearer {token}"},
)
Graph(store=update_store, identifier=URIRef("http://e/rdflib-graph")).add((URIRef("http://e/rdflib"), URIRef("http://e/p"), Literal("from rdflib")))
check(
    "rdflib SPARQLUpdateStore add()",
    (URIRef("http://e/rdflib"), URIRef("http://e/p"), Literal("from rdflib")) in Graph(store=store),
)
print("all client checks passed")
