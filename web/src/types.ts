// The JSON shapes of dealgraph's exploration API (src/views/*.rs on the server; GET
// /api/openapi.json documents them). Only the fields the UI reads are typed.

export interface Ref {
  iri: string;
  id?: string | null;
  label: string;
}

export interface CertaintyRef extends Ref {
  rank?: number | null;
}

export interface Amount {
  property?: Ref;
  value: string;
  currency?: string | null;
  label: string;
  approximate?: boolean;
  lower_bound?: boolean;
  cumulative?: boolean;
}

export interface Attribute {
  property: Ref;
  value: string;
  datatype?: string;
  entity?: Ref;
}

export type Side = "from" | "to" | "mutual" | "other";

export interface Participant {
  role: Ref;
  side: Side;
  entity: Ref;
}

export interface Source {
  iri: string;
  id?: string | null;
  label: string;
  part_of: Ref | null;
  publisher?: Ref | null;
  published?: string | null;
  links: string[];
}

export interface RelatedFact {
  property: Ref;
  fact: Ref;
}

export interface Fact {
  iri: string;
  id?: string | null;
  label: string;
  types: Ref[];
  graph: string;
  participants: Participant[];
  amount: Amount | null;
  other_amounts?: Amount[];
  quantity?: string | null;
  date?: string | null;
  start_date?: string | null;
  end_date?: string | null;
  as_of?: string | null;
  report_date?: string | null;
  duration?: string | null;
  time_expression?: string | null;
  when: string | null;
  certainty: CertaintyRef | null;
  status: Ref | null;
  hedge?: string | null;
  quotes: string[];
  source: Source | null;
  related?: RelatedFact[];
  attributes?: Attribute[];
}

export interface Link {
  property: Ref;
  entity: Ref;
}

/** How many entities one kind of relation joins an entity to; `listed`: in `relations`. */
export interface RelationCount {
  property: Ref;
  count: number;
  listed: boolean;
}

export interface EntityView {
  iri: string;
  id?: string | null;
  label: string;
  types: Ref[];
  aliases: string[];
  description: string | null;
  attributes: Attribute[];
  relations: Link[];
  relation_counts: RelationCount[];
  connected: number;
  figures: Fact[];
  facts: Fact[];
  facts_total: number;
  truncated: boolean;
  as_of: string | null;
  sources: { source: Ref; facts: number }[];
}

export interface SearchHit {
  iri: string;
  id: string;
  label: string;
  types: string[];
  score: number;
  matched: string;
}

export interface SearchResult {
  query: string;
  total: number;
  hits: SearchHit[];
}

export interface GraphNode {
  iri: string;
  id?: string | null;
  label: string;
  type?: Ref | null;
  facts: number;
  depth: number;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  fact: string;
  type: Ref;
  label: string;
  sentence: string;
  amount: Amount | null;
  date: string | null;
  certainty: CertaintyRef | null;
  status: Ref | null;
  source_label?: string | null;
  graph: string;
}

export interface GraphView {
  focus: Ref;
  depth: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
  limit: number;
}

export interface PathStep {
  from: Ref;
  to: Ref;
  sentence: string;
  sentences: string[];
  facts: Fact[];
  facts_total: number;
}

export interface Path {
  length: number;
  nodes: Ref[];
  steps: PathStep[];
  sentence: string;
}

export interface PathsView {
  from: Ref;
  to: Ref;
  max_length: number;
  length: number | null;
  paths: Path[];
  paths_total: number;
  truncated: boolean;
}

export interface TimelineView {
  entity: Ref;
  events: Fact[];
  events_total: number;
  truncated: boolean;
  undated: number;
}

export interface SourceSide {
  graph: string;
  total: string | null;
  currency: string | null;
  cumulative: boolean;
  certainties: string[];
  dates: string[];
  facts: Fact[];
}

export interface Conflict {
  topic: string;
  differs: string[];
  sides: SourceSide[];
}

export interface ConflictsView {
  entity: Ref;
  conflicts: Conflict[];
  facts_compared: number;
  truncated: boolean;
}

export interface CountedRef extends Ref {
  count: number;
}

export interface StatsView {
  triples: number;
  graphs: { graph: string; triples: number }[];
  classes: CountedRef[];
  relations: CountedRef[];
  certainty: CountedRef[];
  sources: CountedRef[];
  last_write: string | null;
}

export interface ExampleQuery {
  name: string;
  question: string;
  query: string;
  url: string;
}
