#!/bin/sh
# Runs N processes of a PMIx program on this machine under Open MPI's mpirun, which acts as the
# PMIx server (as slurmstepd does under srun --mpi=pmix). Usage: mpirun-sim.sh N PROGRAM [ARGS]
set -eu
n=$1
shift
# As root, Open MPI wants both confirmations; the transport settings keep a one-machine run quiet.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_btl_vader_single_copy_mechanism=none
exec mpirun -n "$n" --oversubscribe --bind-to none "$@"
