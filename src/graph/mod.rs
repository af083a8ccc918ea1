//! A picture of what a config renders and how traffic flows through it, and why each generated
//! object exists.
//!
//! [`build()`] turns a resolved [`Model`] and the objects rendered from it into a [`Graph`]: nodes for
//! what traffic passes through (clients, load balancer, gateway Service and pods, Istio Gateway
//! servers, routes, backend Services, the east-west path) and for what configures it (certificates,
//! issuers and secrets, edge and mesh policies), grouped by namespace. Every generated object is
//! attributed to one node or namespace with a sentence saying why it exists ([`Provenance`]):
//! `graph --explain` prints those sentences and the picture draws the same nodes, so the two cannot
//! disagree.
//!
//! Formats, one module each: [`mermaid`] (renders in GitHub and GitLab Markdown), [`dot`]
//! (Graphviz), [`svg`] (laid out here by [`layout`], with no external resource) and [`html`] (the
//! SVG and the explanations in one page that renders offline).
//!
//! Gateway API objects (an HTTP-01 gateway's port 80 today, whole gateways and routes in a Gateway
//! API mode) belong to the node of the `spec.gateways` or `spec.routes` entry they come from:
//! [`provenance`] attributes objects by the file and name the renderers give them, not by their API.

pub mod build;
pub mod command;
pub mod dot;
pub mod html;
pub mod layout;
pub mod mermaid;
pub mod provenance;
pub mod svg;

use crate::krm::object::ObjectId;

pub use build::build;

/// What a node stands for; it decides the node's shape and colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    /// Where traffic comes from (the internet, a private network, other clusters).
    Clients,
    /// A cloud load balancer (or the node ports) in front of a gateway Service.
    LoadBalancer,
    /// A gateway's Kubernetes Service.
    Service,
    /// Gateway pods (Deployment and what keeps it running).
    Workload,
    /// An Istio Gateway (servers: ports, hosts, TLS), or a Gateway API Gateway.
    Gateway,
    /// A cert-manager Certificate.
    Certificate,
    /// A cert-manager Issuer or ClusterIssuer.
    Issuer,
    /// A Secret (written by cert-manager, or provided by the user).
    Secret,
    /// A route (VirtualService).
    Route,
    /// A backend Service (or another host) that routes send traffic to.
    Backend,
    /// Subsets and traffic policy toward a backend (DestinationRule).
    TrafficPolicy,
    /// Policies at the edge: JWT validation and access rules on gateway pods.
    EdgePolicy,
    /// Mesh policies of a namespace or of the whole mesh: mTLS, default deny, telemetry.
    MeshPolicy,
    /// Objects no finer provenance covers (there should be none; a test checks it).
    Unexplained,
}

/// Where a group of nodes lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKind {
    /// Outside the cluster: clients and cloud load balancers.
    Outside,
    /// Cluster-scoped objects and what spans every namespace.
    Cluster,
    /// One Kubernetes namespace.
    Namespace,
}

/// A group of nodes, drawn as a box (a Mermaid subgraph, a Graphviz cluster, an SVG band).
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Identifier, safe in Mermaid and DOT (`g_ns_istio_ingress`).
    pub id: String,
    /// Label.
    pub label: String,
    /// What kind of place it is.
    pub kind: GroupKind,
}

/// A node of the picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Identifier, safe in Mermaid and DOT (letters, digits and `_`).
    pub id: String,
    /// What it stands for.
    pub kind: NodeKind,
    /// First line (`Gateway gateway-external`).
    pub title: String,
    /// Detail lines (servers, hosts, replicas...).
    pub lines: Vec<String>,
    /// The id of its group.
    pub group: String,
    /// Whether this config renders it (drawn solid) rather than relying on it (drawn dashed: a
    /// Secret cert-manager writes, a backend Service, an issuer or gateway managed elsewhere).
    pub rendered: bool,
}

/// What an edge means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flow {
    /// Requests flow along it.
    Traffic,
    /// One object configures or feeds another (issues, writes, credentialName, enforces).
    Config,
}

/// An edge of the picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// Label (may be empty).
    pub label: String,
    /// Meaning.
    pub flow: Flow,
}

/// Why one generated object exists.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// The object.
    pub object: ObjectId,
    /// The node (or, for a Namespace object, the group) it belongs to.
    pub node: String,
    /// Why it exists, in plain words, naming the config field it comes from.
    pub why: String,
    /// Whether a finer attribution than "rendered by mesh-ingress" was found.
    pub explained: bool,
}

/// The picture of one config.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Graph {
    /// Title (`MeshIngress sandbox`).
    pub title: String,
    /// Groups, in drawing order (outside the cluster, cluster-wide, then namespaces).
    pub groups: Vec<Group>,
    /// Nodes, in the order they were added (traffic order within each group).
    pub nodes: Vec<Node>,
    /// Edges.
    pub edges: Vec<Edge>,
    /// Every generated object, in render order, with why it exists.
    pub objects: Vec<Provenance>,
}

impl Graph {
    /// The node with `id`.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The nodes of group `id`, in order.
    pub fn nodes_in<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes.iter().filter(move |n| n.group == group)
    }

    /// The objects attributed to node (or group) `id`.
    pub fn objects_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Provenance> + 'a {
        self.objects.iter().filter(move |p| p.node == id)
    }
}

/// An output format of `graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A Mermaid flowchart (GitHub and GitLab render it in Markdown).
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// A standalone SVG image, laid out here.
    Svg,
    /// An HTML page: the SVG and why each object exists, with no external resource.
    Html,
}

impl Format {
    /// Every format, with its spelling on the command line.
    pub const ALL: [(&'static str, Format); 4] =
        [("mermaid", Format::Mermaid), ("dot", Format::Dot), ("svg", Format::Svg), ("html", Format::Html)];

    /// The format named `name` (`mermaid`, `dot`, `svg`, `html`), or from a file extension
    /// (`mmd`, `gv`).
    pub fn parse(name: &str) -> Option<Format> {
        let name = name.to_ascii_lowercase();
        Format::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).or(match name.as_str() {
            "mmd" | "md" => Some(Format::Mermaid),
            "gv" => Some(Format::Dot),
            "htm" => Some(Format::Html),
            _ => None,
        })
    }
}

/// Draw `graph` in `format`.
pub fn render(graph: &Graph, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid::render(graph),
        Format::Dot => dot::render(graph),
        Format::Svg => svg::render(graph),
        Format::Html => html::render(graph),
    }
}

/// How an object is named in explanations: `Deployment istio-ingress/istio-ingressgateway-external`
/// (a Gateway API Gateway is `Gateway (Gateway API)`, to tell it from an Istio Gateway).
pub fn object_name(id: &ObjectId) -> String {
    let kind = if id.group == crate::types::gateway_api::GROUP && id.kind == "Gateway" {
        "Gateway (Gateway API)".to_string()
    } else {
        id.kind.clone()
    };
    if id.namespace.is_empty() {
        format!("{kind} {}", id.name)
    } else {
        format!("{kind} {}/{}", id.namespace, id.name)
    }
}

/// `graph --explain`: every generated object, in render order, and why it exists.
pub fn explain(graph: &Graph) -> String {
    let mut out = format!("# {}: {} objects, and why each exists\n", graph.title, graph.objects.len());
    for object in &graph.objects {
        out.push_str(&format!("{}: {}\n", object_name(&object.object), object.why));
    }
    out
}

/// A string reduced to what identifiers may hold in Mermaid and DOT: ASCII letters and digits, and
/// `_` for everything else.
pub fn sanitize(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}
