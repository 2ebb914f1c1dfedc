/* The tie between --lockstep and the GRES the scheduler gave a job on a node.
 *
 * GRES place jobs; the plugin's locks make devices exclusive. Without a tie a job could name a
 * motor on a node where the scheduler gave it no stepper, and take it from the job the
 * scheduler placed there for it. SPANK in Slurm 22.05 has no item for a job's GRES, and a
 * job_submit rule sees only job-wide requests (GRES differ per node: scan.sbatch asks for a
 * camera on four nodes, one of which has the motor). So the plugin asks slurmctld, on the node,
 * for the job's GRES there (slurm_load_job with SHOW_DETAIL: gres_detail_str per node), and
 * checks the devices the request names explicitly against them. The keywords (all, motors,
 * cameras) mean "every such device this node has" and need no GRES: they are how a job spanning
 * nodes with different devices asks for what each node has. */
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "device_request.h"
#include "plugin_args.h"

namespace lockstep::spank
{

/* GRES name -> count allocated on one node. */
using GresCounts = std::map<std::string, uint64_t>;

/* One node's entry of a job's gres_detail_str, e.g. "camera:1,stepper:1" or
 * "gpu:a100:2(IDX:0,2)": the type between name and count and the index list are ignored. An
 * empty entry is no GRES at all. Throws RunError on text it cannot read. */
GresCounts parseGresDetail(std::string_view detail);

/* True if the plugstack arguments ask for the tie (motor_gres= or camera_gres= set). */
bool gresTieEnabled(const PluginArgs &args);

/* The devices of `selected` (this node's) that the request names explicitly, counted by kind,
 * checked against `held`: a named motor needs one `args.motorGres` each, a named camera one
 * `args.cameraGres` each (a kind whose GRES name is unset is not checked). Returns what is
 * missing as a message for the user, or "" if nothing is. */
std::string missingGres(const DeviceRequest &request, const std::vector<Device> &selected,
                        const GresCounts &held, const PluginArgs &args, const std::string &node);

} // namespace lockstep::spank
