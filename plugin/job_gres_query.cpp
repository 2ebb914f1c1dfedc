#include "job_gres_query.h"

#include <cerrno>
#include <cstdlib>

#include "util/errors.h"

extern "C" {
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
}

namespace lockstep::spank
{

namespace
{

/* The job's record from slurmctld, freed on scope exit. */
class JobInfo
{
public:
    explicit JobInfo(unsigned jobId)
    {
        if (slurm_load_job(&msg_, jobId, SHOW_DETAIL) != SLURM_SUCCESS || !msg_ ||
            msg_->record_count < 1)
            throw RunError("cannot ask slurmctld for job " + std::to_string(jobId) +
                           "'s GRES: " + slurm_strerror(slurm_get_errno()));
    }
    ~JobInfo() { slurm_free_job_info_msg(msg_); }
    JobInfo(const JobInfo &) = delete;
    JobInfo &operator=(const JobInfo &) = delete;

    const slurm_job_info_t &job() const { return msg_->job_array[0]; }

private:
    job_info_msg_t *msg_ = nullptr;
};

/* The position of `node` in a Slurm host list ("pi0[1-4]"), or -1. */
int indexInHostList(const char *list, const std::string &node)
{
    hostlist_t hosts = slurm_hostlist_create(list ? list : "");
    if (!hosts)
        return -1;
    int index = -1;
    int i = 0;
    while (char *host = slurm_hostlist_shift(hosts)) {
        if (index < 0 && node == host)
            index = i;
        free(host);
        ++i;
    }
    slurm_hostlist_destroy(hosts);
    return index;
}

/* True if slurmctld's record of `slurmNode` has `hostname` as its NodeHostname. */
bool nodeIsHost(const std::string &slurmNode, const std::string &hostname)
{
    node_info_msg_t *msg = nullptr;
    if (slurm_load_node_single(&msg, const_cast<char *>(slurmNode.c_str()), 0) != SLURM_SUCCESS ||
        !msg)
        throw RunError("cannot ask slurmctld about node " + slurmNode + ": " +
                       slurm_strerror(slurm_get_errno()));
    const bool same = msg->record_count == 1 && msg->node_array[0].node_hostname &&
                      hostname == msg->node_array[0].node_hostname;
    slurm_free_node_info_msg(msg);
    return same;
}

} // namespace

bool slurmNodeIsHost(const std::string &slurmNode, const std::string &hostname)
{
    if (slurmNode == hostname)
        return true;
    try {
        return nodeIsHost(slurmNode, hostname);
    } catch (const std::exception &) {
        return false;
    }
}

GresCounts jobGresOnNode(unsigned jobId, const std::string &slurmNode, const std::string &hostname)
{
    if (slurmNode != hostname && !nodeIsHost(slurmNode, hostname))
        throw RunError("Slurm's name for this node, " + slurmNode + ", is not this machine (" +
                       hostname + ") by slurmctld's record: cannot check the job's GRES");
    const JobInfo info(jobId);
    const slurm_job_info_t &job = info.job();
    const int index = indexInHostList(job.nodes, slurmNode);
    if (index < 0)
        throw RunError("job " + std::to_string(jobId) + " is not on " + slurmNode +
                       " by slurmctld's record");
    /* gres_detail_str has one entry per node of the job, in host list order; none if the job
     * holds no GRES anywhere. */
    if (!job.gres_detail_str || static_cast<uint32_t>(index) >= job.gres_detail_cnt)
        return {};
    const char *detail = job.gres_detail_str[index];
    return parseGresDetail(detail ? detail : "");
}

} // namespace lockstep::spank
