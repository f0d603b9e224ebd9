# SPDX-License-Identifier: GPL-2.0-only
# fish completion for hypmem-stat, hypmem-dump, hypmem-top and hypmem-diff

for cmd in hypmem-stat hypmem-dump
    complete -c $cmd -s s -l symbols -r -F -d 'vmlinux or EL2 image with DWARF'
    complete -c $cmd -s c -l core -r -F -d 'ELF or kdump-compressed dump'
    complete -c $cmd -l raw -r -F -d 'raw memory image FILE@PHYS'
    complete -c $cmd -l kaslr-offset -x -d 'KASLR offset'
    complete -c $cmd -l kimage-voffset -x -d 'kernel image VA - PA'
    complete -c $cmd -l json -d 'JSON output'
    complete -c $cmd -l force -d 'go on when VMLINUX is not the kernel of the dump'
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
complete -c hypmem-dump -n '__fish_use_subcommand' -f -a vms -d 'vm_table VMs and their guest stage-2s'
complete -c hypmem-dump -n '__fish_use_subcommand' -f -a page -d 'everything about pages: PA, pfn:N, hyp:VA, kva:VA, sym:NAME'
complete -c hypmem-dump -n '__fish_seen_subcommand_from stage2' -l svg -r -F -d 'write a memory map (SVG)'
complete -c hypmem-top -s d -l delay -x -d 'refresh interval'
complete -c hypmem-top -s n -l iterations -x -d 'stop after N refreshes'
complete -c hypmem-top -s b -l batch -d 'plain text like top -b'
complete -c hypmem-top -l tracefs -r -d 'tracefs directory'
complete -c hypmem-dump -n '__fish_seen_subcommand_from vmemmap' -l pfn -x -d 'only this PFN'
complete -c hypmem-dump -n '__fish_seen_subcommand_from vmemmap' -l range -x -d 'PFN range A-B'
complete -c hypmem-stat -l cost -d 'metadata cost per GiB, hyp_page layouts, derivable fields'
complete -c hypmem-diff -l snapshot -d "print one dump's snapshot as JSON"
complete -c hypmem-diff -l json -d 'JSON output'
complete -c hypmem-diff -l force -d 'go on when VMLINUX is not the kernel of a dump'
complete -c hypmem-diff -l max-lines -x -d 'ranges and chunks listed per section'
complete -c hypmem-diff -s h -l help -d 'show help'
complete -c hypmem-diff -l version -d 'show version'
