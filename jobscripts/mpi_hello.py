#!/usr/bin/env python3
"""Plain MPI hello world (mpi4py): every rank prints its rank, the job's size and its host.

Launched by Slurm through PMIx, without mpirun:  sbatch mpi-hello.sbatch
"""
import socket

from mpi4py import MPI

comm = MPI.COMM_WORLD
print(f"mpi hello: rank {comm.Get_rank()} of {comm.Get_size()} on {socket.gethostname()}", flush=True)
# Every rank reaches this point before any leaves: the ranks really talk to each other.
comm.Barrier()
