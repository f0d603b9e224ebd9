# SPDX-License-Identifier: GPL-2.0-only
# fish completion for hypmem-stat and hypmem-dump

for cmd in hypmem-stat hypmem-dump
    complete -c $cmd -s s -l symbols -r -F -d 'vmlinux or EL2 image with DWARF'
    complete -c $cmd -s c -l core -r -F -d 'ELF or kdump-compressed dump'
    complete -c $cmd -l raw -r -F -d 'raw memory image FILE@PHYS'
    complete -c $cmd -l kaslr-offset -x -d 'KASLR offset'
    complete -c $cmd -l kimage-voffset -x -d 'kernel image VA - PA'
    complete -c $cmd -l json -d 'JSON output'
    complete -c $cmd -s h -l help -d 'show help'
    complete -c $cmd -l version -d 'show version'
end

complete -c hypmem-dump -n '__fish_use_subcommand' -f -a vmemmap -d 'one line per struct hyp_page'
complete -c hypmem-dump -n '__fish_use_subcommand' -f -a pools -d 'every hyp_pool and its free lists'
complete -c hypmem-dump -n '__fish_use_subcommand' -f -a layout -d 'structs as DWARF describes them'
complete -c hypmem-dump -n '__fish_use_subcommand' -f -a heap -d 'every hyp heap: chunks and holes'
complete -c hypmem-dump -n '__fish_use_subcommand' -f -a trace -d 'hypervisor trace events, like trace-cmd report'
complete -c hypmem-dump -n '__fish_use_subcommand' -f -a stage2 -d 'the host stage-2 as runs of leaves'
complete -c hypmem-dump -n '__fish_use_subcommand' -f -a stage1 -d 'the hyp stage-1, same walker'
complete -c hypmem-dump -n '__fish_seen_subcommand_from stage2' -l svg -r -F -d 'write a memory map (SVG)'
complete -c hypmem-top -s d -l delay -x -d 'refresh interval'
complete -c hypmem-top -s n -l iterations -x -d 'stop after N refreshes'
complete -c hypmem-top -s b -l batch -d 'plain text like top -b'
complete -c hypmem-top -l tracefs -r -d 'tracefs directory'
complete -c hypmem-dump -n '__fish_seen_subcommand_from trace' -l tracefs -r -d 'the hypervisor remote under DIR'
complete -c hypmem-dump -n '__fish_seen_subcommand_from trace' -l export-tracefs -r -d 'write a tracefs tree'
complete -c hypmem-dump -n '__fish_seen_subcommand_from trace' -l export-shape -x -a 'raw mainline android' -d 'shape of the export'
complete -c hypmem-dump -n '__fish_seen_subcommand_from vmemmap' -l pfn -x -d 'only this PFN'
complete -c hypmem-dump -n '__fish_seen_subcommand_from vmemmap' -l range -x -d 'PFN range A-B'
