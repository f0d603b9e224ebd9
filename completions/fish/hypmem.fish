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
complete -c hypmem-dump -n '__fish_seen_subcommand_from vmemmap' -l pfn -x -d 'only this PFN'
complete -c hypmem-dump -n '__fish_seen_subcommand_from vmemmap' -l range -x -d 'PFN range A-B'
