package fakevizier

// SampleLibrary returns a small script library shaped like Pixie's own
// (src/pxl_scripts): live views whose PxL defines several functions and
// never calls px.display, with a vis.json naming the functions the view
// calls and its variables with their defaults, next to a plain script.
//
//   - px/service: four functions (one a helper), no display; its view
//     calls three of them with the variables start_time (default -5m) and
//     service (no default), and passes a literal limit to one.
//   - px/nodes: one typed function and one untyped helper; its view calls
//     the typed one.
//   - px/cluster: a plain script that displays (no live view).
func SampleLibrary() []LibraryScript {
	return []LibraryScript{
		{ID: "6d1f0a52-0001-4c1e-9d55-3c5e0f1a2b01", Name: "px/service", Desc: "Overview of a service: its pods, and the latency, error rate and throughput of the requests it receives.", Contents: servicePxL, Vis: serviceVis},
		{ID: "6d1f0a52-0002-4c1e-9d55-3c5e0f1a2b02", Name: "px/nodes", Desc: "CPU use of every node.", Contents: nodesPxL, Vis: nodesVis},
		{ID: "6d1f0a52-0003-4c1e-9d55-3c5e0f1a2b03", Name: "px/cluster", Desc: "Cluster overview.", Contents: "import px\npx.display(px.DataFrame('process_stats').head(3))\n"},
	}
}

const servicePxL = `''' Service Overview

 This script gets an overview of an individual service.
'''
import px

window_ns = px.DurationNanos(10 * 1000 * 1000 * 1000)


def pods_for_service(start_time: str, service: px.Service):
    ''' The pods of a service.

    Args:
    @start_time: The timestamp of data to start at.
    @service: The name of the service to filter on.
    '''
    df = px.DataFrame(table='process_stats', start_time=start_time)
    df = df[px.has_service_name(df.ctx['service'], service)]
    df.pod = df.ctx['pod_name']
    return df.groupby('pod').agg()


def inbound_let_timeseries(start_time: str, service: px.Service):
    ''' Compute the let as a timeseries for requests received by ` + "`service`" + `.

    Args:
    @start_time: The timestamp of data to start at.
    @service: The name of the service to filter on.
    '''
    df = let_helper(start_time)
    df = df[px.has_service_name(df.service, service)]
    return df.groupby(['timestamp']).agg(latency_quantiles=('latency', px.quantiles))


def slowest_requests(start_time: str, service: px.Service, limit: int):
    ''' The slowest requests a service received.

    Args:
    @limit: How many requests to keep.
    '''
    df = let_helper(start_time)
    df = df[px.has_service_name(df.service, service)]
    return df.head(limit)


def let_helper(start_time: str):
    df = px.DataFrame(table='http_events', start_time=start_time)
    df.service = df.ctx['service']
    df.timestamp = px.bin(df.time_, window_ns)
    return df
`

const serviceVis = `{
  "variables": [
    {"name": "start_time", "type": "PX_STRING", "description": "The relative start time of the window. Current time is assumed to be now", "defaultValue": "-5m"},
    {"name": "service", "type": "PX_SERVICE", "description": "The name of the service to get stats for. Format: ns/svc_name"}
  ],
  "globalFuncs": [
    {"outputName": "inbound_let_timeseries", "func": {"name": "inbound_let_timeseries", "args": [
      {"name": "start_time", "variable": "start_time"}, {"name": "service", "variable": "service"}]}}
  ],
  "widgets": [
    {"name": "HTTP Requests", "position": {"x": 0, "y": 0, "w": 4, "h": 3}, "globalFuncOutputName": "inbound_let_timeseries",
     "displaySpec": {"@type": "types.px.dev/px.vispb.TimeseriesChart", "timeseries": [{"value": "request_throughput", "mode": "MODE_LINE"}]}},
    {"name": "Pods", "position": {"x": 0, "y": 3, "w": 12, "h": 3}, "func": {"name": "pods_for_service", "args": [
      {"name": "start_time", "variable": "start_time"}, {"name": "service", "variable": "service"}]},
     "displaySpec": {"@type": "types.px.dev/px.vispb.Table"}},
    {"name": "Slowest", "position": {"x": 0, "y": 6, "w": 12, "h": 3}, "func": {"name": "slowest_requests", "args": [
      {"name": "start_time", "variable": "start_time"}, {"name": "service", "variable": "service"}, {"name": "limit", "value": "20"}]},
     "displaySpec": {"@type": "types.px.dev/px.vispb.Table"}}
  ]
}`

const nodesPxL = `''' Nodes

CPU use of every node.
'''
import px


def nodes(start_time: str, groupby: str):
    df = px.DataFrame(table='process_stats', start_time=start_time)
    df.entity = px.select(groupby == 'pod', df.ctx['pod_name'], df.ctx['node_name'])
    return summarize(df)


def summarize(df):
    return df.groupby('entity').agg(cpu=('cpu_utime_ns', px.sum))
`

// nodesVis offers groupby's values as Pixie's px/node view does.
const nodesVis = `{
  "variables": [{"name": "start_time", "type": "PX_STRING", "defaultValue": "-5m"},
    {"name": "groupby", "type": "PX_STRING", "description": "The element to group by", "defaultValue": "node", "validValues": ["node", "pod"]}],
  "widgets": [{"name": "Nodes", "func": {"name": "nodes", "args": [{"name": "start_time", "variable": "start_time"}, {"name": "groupby", "variable": "groupby"}]},
    "displaySpec": {"@type": "types.px.dev/px.vispb.Table"}}]
}`
